/**
 * `Sequencer.startQueued`: a response that waits opens with `response.created` + `response.queued` (status
 * `queued`); `response.in_progress` comes with the first input, then exactly the events of a plain start.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Sequencer from "../src/Sequencer.js"
import { validateStream } from "../src/ValidateStream.js"
import { streamVectors, vectorContext, vectorInputs } from "./vectorReplay.js"

const fold = (queued: boolean, inputs: ReadonlyArray<Sequencer.Input>, ctx: Sequencer.Context) => {
  let [state, events] = (queued ? Sequencer.startQueued : Sequencer.start)(Sequencer.initial(ctx))
  const out = [...events]
  ;[state, events] = Sequencer.stepAll(state, inputs)
  out.push(...events)
  return out
}

describe("Sequencer.startQueued", () => {
  it("every golden vector, queued first: created, queued, in_progress, then the same events renumbered", () => {
    for (const vector of streamVectors()) {
      const ctx = vectorContext(vector)
      const inputs = [...vectorInputs(vector), Sequencer.end]
      const plain = fold(false, inputs, vectorContext(vector))
      const queued = fold(true, inputs, ctx)
      expect(queued.slice(0, 3).map((e) => [e.type, "response" in e ? e.response.status : undefined])).toEqual([
        ["response.created", "queued"],
        ["response.queued", "queued"],
        ["response.in_progress", "in_progress"]
      ])
      const renumbered = queued.slice(2).map((e) => ({ ...e, sequence_number: e.sequence_number - 1 }))
      expect(renumbered).toEqual(plain.slice(1))
      expect(validateStream(queued, { strict: true }), vector.name).toEqual([])
    }
  })

  it("cancelled while queued: in_progress, then the cancelled response.failed", () => {
    const vector = streamVectors()[0]!
    const events = fold(true, [Sequencer.aborted()], vectorContext(vector))
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress",
      "response.failed"
    ])
    expect(validateStream(events, { strict: true })).toEqual([])
  })
})
