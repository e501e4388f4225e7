import { describe, expect, it } from "@effect/vitest"
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator"
import type { Response as OpenAiResponse, ResponseStreamEvent } from "openai/resources/responses/responses"
import { checkStream, validateStream } from "../src/ValidateStream.js"
import type { Expect } from "./vectorSources.js"
import { checkExpect, replay, streamVectors } from "./vectorReplay.js"

const vectors = streamVectors()

/** Fold events through the official SDK's accumulator: it throws on the ordering errors strict clients hit. */
export const accumulate = (events: ReadonlyArray<unknown>): OpenAiResponse => {
  let snapshot: OpenAiResponse | undefined
  for (const event of events) snapshot = accumulateResponse(event as ResponseStreamEvent, snapshot)
  return snapshot!
}

describe("golden vectors", () => {
  it("there are at least 20, covering the issue's list", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20)
    for (const name of [
      "two-consecutive-tool-calls",
      "parallel-tool-calls-one-chunk",
      "llama-server-real",
      "vllm-real",
      "malformed-chunk"
    ]) {
      expect(vectors.map((v) => v.name)).toContain(name)
    }
  })

  for (const vector of vectors) {
    describe(vector.name, () => {
      const { events, response } = replay(vector)

      it("replays to exactly the recorded events", () => {
        expect(events).toEqual(vector.events)
      })

      it("passes validateStream", () => {
        expect(validateStream(events)).toEqual([])
        // Parlance holds its own output to more than the grammar: not even a warning or a note.
        expect(checkStream(events)).toEqual([])
      })

      it("matches its hand-written expectations", () => {
        expect(checkExpect(vector.expect as unknown as Expect, response)).toEqual([])
      })

      it("is accepted by the openai SDK's accumulator, which rebuilds the same response", () => {
        const snapshot = accumulate(events)
        expect(snapshot.output).toEqual(response.output)
        expect(snapshot.status).toBe(response.status)
      })
    })
  }
})
