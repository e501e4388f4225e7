/**
 * WebSocket mode on the embedded engine (the scripted tiny model, two sequences), with the openai SDK's
 * `ResponsesWS`: a response, two lanes at once on one socket, and `generate: false` really warming the engine —
 * the continuation finds the warmed prompt in the sequence's KV cache (`cached_tokens`).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Engine } from "@parlance/engine"
import { SpecValidator } from "@parlance/open-responses"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import { validateStream } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { Server } from "../src/index.js"
import { isTerminal, openSession } from "./wsClient.js"

const model = "scripted"
let server: Server.RunningServer
let scope: Scope.Closeable
beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const engine = await Effect.runPromise(
    Engine.make({
      model: await ensureScriptedModel(),
      modelName: model,
      parallel: 2,
      contextSize: 2048,
      threads: 1
    }).pipe(Scope.provide(scope))
  )
  server = await Server.start({ backend: engine, port: 0, defaultModel: model })
}, 120_000)
afterAll(async () => {
  await server?.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const clean = (events: ReadonlyArray<any>) => {
  const bare = events.map(({ stream_id: _, ...rest }) => rest)
  expect(validateStream(bare, { strict: true })).toEqual([])
  expect(SpecValidator.validateEvents(bare)).toEqual([])
}

describe("WebSocket mode on the embedded engine", () => {
  it("a response, then two lanes at once on one socket", async () => {
    const s = openSession(server.url, "unused")
    s.ws.send({ type: "response.create", model, input: "Hello there." })
    await s.until((events) => events.some(isTerminal), 60_000)
    expect(s.events.at(-1).type).toBe("response.completed")
    expect(s.events.at(-1).response.output.at(-1).content[0].text).toBe(ScriptedModel.ANSWER_TEXT)
    clean(s.events)
    const before = s.events.length
    s.ws.send({ type: "response.create", model, input: "First lane.", stream_id: "one" })
    s.ws.send({ type: "response.create", model, input: "Second lane.", stream_id: "two" })
    await s.until((events) => events.slice(before).filter(isTerminal).length === 2, 60_000)
    for (const lane of ["one", "two"]) {
      const events = s.lane(lane)
      clean(events)
      expect(events.at(-1).type).toBe("response.completed")
      expect(events.at(-1).response.output.at(-1).content[0].text).toBe(ScriptedModel.ANSWER_TEXT)
    }
    s.ws.close()
  }, 120_000)

  it("generate: false evaluates the prompt without output; the continuation reuses it from the KV cache", async () => {
    const s = openSession(server.url, "unused")
    const context = `Remember these words for later: ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ")}.`
    s.ws.send({ type: "response.create", model, input: context, store: false, generate: false })
    await s.until((events) => events.some(isTerminal), 60_000)
    const warm = s.events.at(-1)
    clean(s.events)
    expect(warm.type).toBe("response.completed")
    expect(warm.response.output).toEqual([])
    expect(warm.response.usage.output_tokens).toBe(0)
    expect(warm.response.usage.input_tokens).toBeGreaterThan(40)
    s.ws.send({
      type: "response.create",
      model,
      input: "Now answer.",
      store: false,
      previous_response_id: warm.response.id
    })
    await s.until((events) => events.filter(isTerminal).length === 2, 60_000)
    const next = s.events.at(-1)
    expect(next.type).toBe("response.completed")
    expect(next.response.output.at(-1).content[0].text).toBe(ScriptedModel.ANSWER_TEXT)
    // The warmed prompt, less its closing generation prompt, was already in a sequence's cache.
    expect(next.response.usage.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(
      warm.response.usage.input_tokens - 8
    )
    s.ws.close()
  }, 120_000)
})
