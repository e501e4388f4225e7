import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Engine from "../src/Engine.js"
import { assertWellFormed, collect, contentOf, request, tinyEngineLayer } from "./support.js"

const reasoningOf = (chunks: ReadonlyArray<{ choices: ReadonlyArray<{ delta: { reasoning_content?: string | null } }> }>) =>
  chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")

layer(tinyEngineLayer({}), { excludeTestServices: true, timeout: 60_000 })("usage.completion_tokens_details.reasoning_tokens", (it) => {
  it.effect("counts the tokens of thought segments", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      // Continuing a reasoning prefill keeps the (random) model inside its `<think>` segment.
      const chunks = yield* collect(
        engine,
        request({
          max_tokens: 6,
          messages: [
            { role: "user", content: "Think first: what is the weather in Paris?" },
            { role: "assistant", content: null, reasoning_content: "Let me think about the weather" }
          ]
        })
      )
      const { usage } = assertWellFormed(chunks)
      expect(reasoningOf(chunks).length).toBeGreaterThan(0)
      expect(contentOf(chunks)).toBe("")
      // Every sampled token was thought.
      expect(usage.completion_tokens_details?.reasoning_tokens).toBe(usage.completion_tokens)
    }))

  it.effect("is 0 for an answer without reasoning", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      const chunks = yield* collect(engine, request({ max_tokens: 5 }))
      const { usage } = assertWellFormed(chunks)
      expect(reasoningOf(chunks)).toBe("")
      expect(usage.completion_tokens_details?.reasoning_tokens).toBe(0)
    }))
})
