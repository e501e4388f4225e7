import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { requestFor, vectors } from "./fakeUpstream.js"
import { type Harness, normalize, postSse, startHarness, violations } from "./harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe("every golden vector, end to end through the server and the fake upstream", () => {
  for (const vector of vectors) {
    it(vector.name, async () => {
      const streamed = await postSse(`${h.url}/v1/responses`, { ...requestFor(vector), stream: true })
      expect(streamed.status).toBe(200)
      expect(streamed.contentType).toMatch(/^text\/event-stream/)
      expect(violations(streamed)).toEqual([])
      const terminal = streamed.events[streamed.events.length - 1]
      expect(terminal.response.status).toBe(vector.expect.status)
      // Same generation, same events as the pure replay (ids and timestamps aside).
      expect(normalize(streamed.events.map((e: any) => ({ ...e, response: undefined })))).toEqual(
        normalize(vector.events.map((e: any) => ({ ...e, response: undefined })))
      )
      expect(normalize(terminal.response.output)).toEqual(
        normalize((vector.events[vector.events.length - 1] as any).response.output)
      )

      const plain = await fetch(`${h.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(requestFor(vector))
      })
      expect(plain.status).toBe(200)
      const response = await plain.json()
      expect(normalize(response)).toEqual(normalize(terminal.response))
    })
  }
})
