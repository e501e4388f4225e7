import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { getLlama, LlamaChat } from "node-llama-cpp"
import { ensureTinyModel } from "@parlance/tiny-model"
import * as Engine from "../src/Engine.js"
import { assertWellFormed, collect, contentOf, request, threads, tinyEngineLayer, toolCallsOf } from "./support.js"

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string", enum: ["Paris", "London", "Tokyo"] },
        unit: { type: "string", maxLength: 8 }
      },
      required: ["city", "unit"]
    }
  }
}
const WeatherArgs = Schema.Struct({
  city: Schema.Literals(["Paris", "London", "Tokyo"]),
  unit: Schema.String.check(Schema.isMaxLength(8))
})
const searchTool = {
  type: "function" as const,
  function: {
    name: "search",
    parameters: {
      type: "object",
      properties: { query: { type: "string", maxLength: 12 }, limit: { type: "integer" } },
      required: ["query", "limit"]
    }
  }
}
// node-llama-cpp's integer grammar allows any digits and a positive exponent (`25E43…`, an integer in JSON
// Schema's sense, that JS parses to Infinity): check the JSON text, not the JS number.
const SearchArgs = Schema.Struct({ query: Schema.String.check(Schema.isMaxLength(12)), limit: Schema.Number })
const checkSearchArgs = (text: string) => {
  Schema.decodeUnknownSync(SearchArgs)(JSON.parse(text))
  expect(text).toMatch(/"limit"\s*:\s*-?(0|[1-9]\d*)([eE]\+?\d+)?\s*[,}]/)
}

layer(tinyEngineLayer({ parallel: 4, queueLimit: 8 }), { excludeTestServices: true, timeout: 60_000 })(
  "Engine (parallel 4)",
  (it) => {
    it.effect("streams well-formed chunks: role first, content, finish_reason, usage last", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const chunks = yield* collect(engine, request({ max_tokens: 10 }))
        const { finishReason, usage } = assertWellFormed(chunks)
        expect(finishReason).toBe("length")
        expect(usage.completion_tokens).toBe(10)
        expect(contentOf(chunks).length).toBeGreaterThan(0)
        expect(chunks[0].model).toBe(engine.info.modelName)
        expect((yield* engine.models)[0].id).toBe("tiny")
      })
    )

    it.effect("max_completion_tokens → finish_reason length with exactly that many tokens", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const chunks = yield* collect(engine, request({ max_tokens: null, max_completion_tokens: 3 }))
        const { finishReason, usage } = assertWellFormed(chunks)
        expect(finishReason).toBe("length")
        expect(usage.completion_tokens).toBe(3)
      })
    )

    it.effect("a stop sequence ends the text before it with finish_reason stop", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const free = yield* collect(engine, request({ max_tokens: 12 }))
        const pieces = free.map((c) => c.choices[0]?.delta.content ?? "").filter((t) => t !== "")
        const stop = pieces[4]
        const before = contentOf(free).slice(0, contentOf(free).indexOf(stop))
        const chunks = yield* collect(engine, request({ max_tokens: 12, stop: [stop] }))
        expect(assertWellFormed(chunks).finishReason).toBe("stop")
        expect(contentOf(chunks)).toBe(before)
      })
    )

    it.effect("thought segments stream as reasoning_content (continuing a reasoning prefill)", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
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
        expect(assertWellFormed(chunks).usage.completion_tokens).toBe(6)
        const reasoning = chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")
        expect(reasoning.length).toBeGreaterThan(0)
        expect(contentOf(chunks)).toBe("")
      })
    )

    it.effect("tool_choice required forces a call with schema-valid arguments", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const chunks = yield* collect(
          engine,
          request({
            tools: [weatherTool, searchTool],
            tool_choice: "required",
            parallel_tool_calls: false,
            max_tokens: 120
          })
        )
        const { finishReason } = assertWellFormed(chunks)
        expect(finishReason).toBe("tool_calls")
        const calls = toolCallsOf(chunks)
        expect(calls.length).toBe(1)
        expect(calls[0].id.startsWith("call_")).toBe(true)
        const args: unknown = JSON.parse(calls[0].arguments)
        if (calls[0].name === "get_weather") Schema.decodeUnknownSync(WeatherArgs)(args)
        else checkSearchArgs(calls[0].arguments)
      })
    )

    it.effect("a named tool_choice forces that function", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const chunks = yield* collect(
          engine,
          request({
            tools: [weatherTool, searchTool],
            tool_choice: { type: "function", function: { name: "search" } },
            parallel_tool_calls: false,
            max_tokens: 120
          })
        )
        expect(assertWellFormed(chunks).finishReason).toBe("tool_calls")
        const calls = toolCallsOf(chunks)
        expect(calls.map((c) => c.name)).toEqual(["search"])
        checkSearchArgs(calls[0].arguments)
      })
    )

    it.effect("tool results continue the model turn", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const chunks = yield* collect(
          engine,
          request({
            tools: [weatherTool],
            messages: [
              { role: "user", content: "Weather in Paris?" },
              {
                role: "assistant",
                content: null,
                tool_calls: [
                  {
                    id: "call_1",
                    type: "function",
                    function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' }
                  }
                ]
              },
              { role: "tool", tool_call_id: "call_1", content: '{"temperature":21}' }
            ]
          })
        )
        expect(assertWellFormed(chunks).finishReason).toBe("length")
      })
    )

    it.effect("response_format json_schema yields JSON valid against the schema", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const Answer = Schema.Struct({
          answer: Schema.String.check(Schema.isMaxLength(10)),
          score: Schema.Number,
          ok: Schema.Boolean
        })
        const chunks = yield* collect(
          engine,
          request({
            max_tokens: 200,
            response_format: {
              type: "json_schema",
              json_schema: {
                name: "answer",
                strict: true,
                schema: {
                  type: "object",
                  properties: {
                    answer: { type: "string", maxLength: 10 },
                    score: { type: "number" },
                    ok: { type: "boolean" }
                  },
                  required: ["answer", "score", "ok"]
                }
              }
            }
          })
        )
        expect(assertWellFormed(chunks).finishReason).toBe("stop")
        Schema.decodeUnknownSync(Answer)(JSON.parse(contentOf(chunks)))
      })
    )

    it.effect("4 concurrent requests on 4 sequences all finish", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const results = yield* Effect.all(
          [0, 1, 2, 3].map((i) =>
            collect(
              engine,
              request({ messages: [{ role: "user", content: `Request number ${i}: say hello.` }], max_tokens: 16 })
            )
          ),
          { concurrency: "unbounded" }
        )
        for (const chunks of results) {
          const { finishReason, usage } = assertWellFormed(chunks)
          expect(finishReason).toBe("length")
          expect(usage.completion_tokens).toBe(16)
        }
        expect(new Set(results.map((c) => c[0].id)).size).toBe(4)
        expect((yield* engine.load).busy).toBe(0)
      })
    )

    it.effect("turn 2 reuses the KV cache of turn 1 (cached_tokens)", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const system = { role: "system" as const, content: "You are the cache test assistant, answer in one word." }
        const user1 = { role: "user" as const, content: "Name a city in France." }
        const turn1 = yield* collect(engine, request({ messages: [system, user1] }))
        const usage1 = assertWellFormed(turn1).usage
        const turn2 = yield* collect(
          engine,
          request({
            messages: [
              system,
              user1,
              { role: "assistant", content: contentOf(turn1) },
              { role: "user", content: "And one in Japan?" }
            ]
          })
        )
        const usage2 = assertWellFormed(turn2).usage
        expect(usage2.prompt_tokens).toBeGreaterThan(usage1.prompt_tokens)
        expect(usage2.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(usage1.prompt_tokens)
        expect(usage2.prompt_tokens_details?.cached_tokens).toBeLessThan(usage2.prompt_tokens)
      })
    )

    it.effect("usage equals the tokenizer's counts", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const req = request({ max_tokens: 7 })
        const { usage } = assertWellFormed(yield* collect(engine, req))
        // Independently: the model's own chat template rendered by node-llama-cpp, tokenized by the model.
        const expected = yield* Effect.promise(async () => {
          const llama = await getLlama({ gpu: false, build: "never" })
          const model = await llama.loadModel({ modelPath: await ensureTinyModel() })
          const context = await model.createContext({ contextSize: 256, threads })
          const chat = new LlamaChat({ contextSequence: context.getSequence() })
          const { contextText } = chat.chatWrapper.generateContextState({
            chatHistory: [
              { type: "system", text: "You are a helpful assistant." },
              { type: "user", text: "What is the weather in Paris today?" },
              { type: "model", response: [] }
            ]
          })
          const count = contextText.tokenize(model.tokenizer).length
          await context.dispose()
          await model.dispose()
          return count
        })
        expect(usage.prompt_tokens).toBe(expected)
        expect(yield* engine.countPromptTokens(req)).toBe(expected)
        expect(usage.completion_tokens).toBe(7)
      })
    )
  }
)
