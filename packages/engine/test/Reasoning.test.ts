import { expect, layer } from "@effect/vitest"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Engine from "../src/Engine.js"
import { assertWellFormed, collect, contentOf, request, threads, tinyEngineLayer } from "./support.js"

const reasoningOf = (
  chunks: ReadonlyArray<{ choices: ReadonlyArray<{ delta: { reasoning_content?: string | null } }> }>
) => chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")

layer(tinyEngineLayer({}), { excludeTestServices: true, timeout: 60_000 })(
  "usage.completion_tokens_details.reasoning_tokens",
  (it) => {
    it.effect(
      "counts the tokens of thought segments",
      () =>
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
        }),
      120_000
    )

    it.effect(
      "is 0 for an answer without reasoning",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const chunks = yield* collect(engine, request({ max_tokens: 5 }))
          const { usage } = assertWellFormed(chunks)
          expect(reasoningOf(chunks)).toBe("")
          expect(usage.completion_tokens_details?.reasoning_tokens).toBe(0)
        }),
      120_000
    )
  }
)

const thinkingEngineLayer = Layer.unwrap(
  Effect.map(
    Effect.promise(() => ensureScriptedModel({ think: true })),
    (model) => Engine.layer({ model, threads, contextSize: 2048 })
  )
)

layer(thinkingEngineLayer, { excludeTestServices: true, timeout: 60_000 })(
  "reasoning_tokens on the scripted thinking model",
  (it) => {
    it.effect(
      "a thought then an answer: reasoning_tokens are the thought's tokens, fewer than completion_tokens",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const chunks = yield* collect(
            engine,
            request({ max_tokens: 40, messages: [{ role: "user", content: "Hi there" }] })
          )
          const { finishReason, usage } = assertWellFormed(chunks)
          expect(finishReason).toBe("stop")
          expect(reasoningOf(chunks)).toBe(ScriptedModel.THOUGHT_TEXT)
          expect(contentOf(chunks)).toBe(ScriptedModel.ANSWER_TEXT)
          // The script thinks "OK." as the tokens `O`, `K`, `.` (between `<think>\n` and `\n</think>\n\n`).
          expect(usage.completion_tokens_details?.reasoning_tokens).toBe(3)
          expect(usage.completion_tokens).toBeGreaterThan(3 + 9)
        }),
      120_000
    )
  }
)
