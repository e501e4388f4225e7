/**
 * The engine on the scripted tiny model (tooling/tiny-model): turns that really end — a plain answer with
 * finish_reason stop, a model-chosen call of the first tool, the answer after a tool result, reasoning from
 * the thinking variant, `tool_choice: "none"` and a forced call — at temperature 0 and 1.
 */
import { describe, expect, layer } from "@effect/vitest"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Engine from "../src/Engine.js"
import { assertWellFormed, collect, contentOf, toolCallsOf } from "./support.js"

const scriptedLayer = (think: boolean): Layer.Layer<Engine.Engine, unknown> =>
  Layer.unwrap(
    Effect.map(
      Effect.promise(() => ensureScriptedModel({ think })),
      (model) => Engine.layer({ model, threads: 1, contextSize: 4096, parallel: 1, modelName: "scripted" })
    )
  )

const tool = (name: string) => ({
  type: "function" as const,
  function: { name, parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
})
const ask = (overrides: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({
  model: "scripted",
  messages: [{ role: "user", content: "What is the weather in Paris?" }],
  ...overrides
})

layer(scriptedLayer(false), { excludeTestServices: true, timeout: 120_000 })("Engine on the scripted model", (it) => {
  for (const temperature of [0, 1]) {
    describe(`temperature ${temperature}`, () => {
      it.effect("a plain prompt → the fixed answer, finish_reason stop", () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const chunks = yield* collect(engine, ask({ temperature }))
          const { finishReason, usage } = assertWellFormed(chunks)
          expect(finishReason).toBe("stop")
          expect(contentOf(chunks)).toBe(ScriptedModel.ANSWER_TEXT)
          expect(usage.completion_tokens).toBeGreaterThan(5)
        })
      )

      it.effect("tools offered → a call of the first tool with the city, finish_reason tool_calls", () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const chunks = yield* collect(engine, ask({ temperature, tools: [tool("zeta_weather"), tool("alpha_time")] }))
          expect(assertWellFormed(chunks).finishReason).toBe("tool_calls")
          const calls = toolCallsOf(chunks)
          expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([["zeta_weather", { city: "Paris" }]])
          expect(contentOf(chunks)).toBe("")
        })
      )
    })
  }

  it.effect("the last message a tool result → the tool-result answer", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      const chunks = yield* collect(
        engine,
        ask({
          tools: [tool("get_weather")],
          messages: [
            { role: "user", content: "What is the weather in Paris?" },
            {
              role: "assistant",
              content: null,
              tool_calls: [
                { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }
              ]
            },
            { role: "tool", tool_call_id: "call_1", content: '{"celsius":21}' }
          ]
        })
      )
      expect(assertWellFormed(chunks).finishReason).toBe("stop")
      expect(contentOf(chunks)).toBe(ScriptedModel.TOOL_RESULT_TEXT)
    })
  )

  it.effect("optional parameters are left out: only the required ones are generated", () =>
    Effect.gen(function* () {
      const exec = {
        type: "function" as const,
        function: {
          name: "exec_command",
          parameters: {
            type: "object",
            properties: {
              cmd: { type: "string" },
              workdir: { type: "string" },
              sandbox_permissions: { type: "string", enum: ["use_default", "require_escalated"] },
              yield_time_ms: { type: "number" }
            },
            required: ["cmd"],
            additionalProperties: false
          }
        }
      }
      const chunks = yield* collect(
        yield* Engine.Engine,
        ask({ tools: [exec], messages: [{ role: "user", content: "please run find" }] })
      )
      expect(toolCallsOf(chunks).map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
        ["exec_command", { cmd: " find" }]
      ])
    })
  )

  it.effect("tool_choice none → the plain answer; a forced call of the second tool still works", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      const tools = [tool("get_weather"), tool("get_time")]
      const none = yield* collect(engine, ask({ tools, tool_choice: "none" }))
      expect(assertWellFormed(none).finishReason).toBe("stop")
      expect(contentOf(none)).toBe(ScriptedModel.ANSWER_TEXT)
      const forced = yield* collect(
        engine,
        ask({ tools, tool_choice: { type: "function", function: { name: "get_time" } } })
      )
      expect(assertWellFormed(forced).finishReason).toBe("tool_calls")
      expect(toolCallsOf(forced).map((c) => c.name)).toEqual(["get_time"])
      const required = yield* collect(engine, ask({ tools, tool_choice: "required", temperature: 1 }))
      expect(toolCallsOf(required).map((c) => c.name)).toEqual(["get_weather"])
    })
  )
})

layer(scriptedLayer(true), { excludeTestServices: true, timeout: 120_000 })("Engine on the thinking variant", (it) => {
  it.effect("reasoning_content first, then the answer", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      const chunks = yield* collect(engine, ask({ messages: [{ role: "user", content: "Hello" }] }))
      expect(assertWellFormed(chunks).finishReason).toBe("stop")
      expect(chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")).toBe(ScriptedModel.THOUGHT_TEXT)
      expect(contentOf(chunks)).toBe(ScriptedModel.ANSWER_TEXT)
    })
  )

  it.effect("with tools: reasoning_content, then a call of the first tool", () =>
    Effect.gen(function* () {
      const engine = yield* Engine.Engine
      const chunks = yield* collect(engine, ask({ tools: [tool("get_weather"), tool("get_time")] }))
      expect(assertWellFormed(chunks).finishReason).toBe("tool_calls")
      expect(chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")).toBe(ScriptedModel.THOUGHT_TEXT)
      expect(toolCallsOf(chunks).map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
        ["get_weather", { city: "Paris" }]
      ])
    })
  )
})
