import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { getLlama } from "node-llama-cpp"
import * as Engine from "../src/Engine.js"
import { asGbnfSchema } from "../src/internal/functions.js"
import { makeValidator, schemaArbitrary } from "./schemas.js"
import {
  assertWellFormed,
  collect,
  contentOf,
  failure,
  isBackendError,
  request,
  tinyEngineLayer,
  toolCallsOf
} from "./support.js"

const validate = makeValidator()
const jsonSchema = (schema: Readonly<Record<string, unknown>>) => ({
  type: "json_schema" as const,
  json_schema: { name: "answer", strict: true, schema }
})

layer(tinyEngineLayer({ parallel: 2 }), { excludeTestServices: true, timeout: 120_000 })(
  "Structured output on the tiny model",
  (it) => {
    it.effect(
      "the issue's schema {n: integer}: a completed answer is an integer, never 15E215971",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const schema = {
            type: "object",
            properties: { n: { type: "integer" } },
            required: ["n"],
            additionalProperties: false
          }
          let completed = 0
          for (let seed = 1; seed <= 12; seed++) {
            const chunks = yield* collect(
              engine,
              request({ max_tokens: 40, temperature: 1, seed, response_format: jsonSchema(schema) })
            )
            const { finishReason } = assertWellFormed(chunks)
            if (finishReason !== "stop") continue
            completed++
            const text = contentOf(chunks)
            expect(text).toMatch(/^\{\s*"n"\s*:\s*-?(0|[1-9]\d{0,14})\s*\}$/)
            expect(Number.isSafeInteger(JSON.parse(text).n)).toBe(true)
          }
          expect(completed).toBeGreaterThan(0)
        }),
      120_000
    )

    it.effect(
      "tool arguments (node-llama-cpp's grammar, patched): integers without exponent, numbers finite",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const llama = yield* Effect.promise(() => getLlama({ gpu: false, build: "never" }))
          const grammar = yield* Effect.promise(() =>
            llama.createGrammarForJsonSchema({
              type: "object",
              properties: { i: { type: "integer" }, x: { type: "number" } }
            })
          )
          expect(grammar.grammar).not.toMatch(/\{0,15\}/)
          const tool = {
            type: "function" as const,
            function: {
              name: "count",
              parameters: {
                type: "object",
                properties: { n: { type: "integer" }, x: { type: "number" } },
                required: ["n", "x"]
              }
            }
          }
          let calls = 0
          for (let seed = 1; seed <= 6; seed++) {
            const chunks = yield* collect(
              engine,
              request({
                max_tokens: 60,
                temperature: 1,
                seed,
                tools: [tool],
                tool_choice: { type: "function", function: { name: "count" } },
                parallel_tool_calls: false
              })
            )
            if (assertWellFormed(chunks).finishReason !== "tool_calls") continue
            for (const call of toolCallsOf(chunks)) {
              calls++
              const args = JSON.parse(call.arguments) as { n: number; x: number }
              expect(call.arguments).toMatch(/"n"\s*:\s*-?(0|[1-9]\d{0,14})\s*[,}]/)
              expect(Number.isSafeInteger(args.n) && Number.isFinite(args.x), call.arguments).toBe(true)
            }
          }
          expect(calls).toBeGreaterThan(0)
        }),
      120_000
    )

    it.effect(
      "tool arguments: a lone anyOf is enforced (node-llama-cpp alone would only ever write null)",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const parameters = {
            type: "object",
            properties: {
              v: { anyOf: [{ type: "integer" }, { type: "boolean" }] },
              anyOf: { type: "string", maxLength: 3 }
            },
            required: ["v", "anyOf"]
          }
          // Only schema positions are rewritten: the property named `anyOf` keeps its name.
          expect(asGbnfSchema(parameters)).toEqual({
            type: "object",
            properties: {
              v: { oneOf: [{ type: "integer" }, { type: "boolean" }] },
              anyOf: { type: "string", maxLength: 3 }
            },
            required: ["v", "anyOf"]
          })
          const tool = { type: "function" as const, function: { name: "pick", parameters } }
          let calls = 0
          for (let seed = 1; seed <= 6; seed++) {
            const chunks = yield* collect(
              engine,
              request({
                max_tokens: 60,
                temperature: 1,
                seed,
                tools: [tool],
                tool_choice: { type: "function", function: { name: "pick" } },
                parallel_tool_calls: false
              })
            )
            if (assertWellFormed(chunks).finishReason !== "tool_calls") continue
            for (const call of toolCallsOf(chunks)) {
              calls++
              expect(validate(parameters, JSON.parse(call.arguments)), call.arguments).toBeUndefined()
            }
          }
          expect(calls).toBeGreaterThan(0)
        }),
      120_000
    )

    it.effect(
      "max tokens mid-JSON ends with finish_reason length, never stop",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const schema = { type: "object", properties: { text: { type: "string", minLength: 50 } }, required: ["text"] }
          const chunks = yield* collect(engine, request({ max_tokens: 6, response_format: jsonSchema(schema) }))
          expect(assertWellFormed(chunks).finishReason).toBe("length")
          expect(() => JSON.parse(contentOf(chunks))).toThrow()
        }),
      120_000
    )

    it.effect(
      "a keyword the grammar cannot enforce is a 400 naming it",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const error = yield* failure(
            engine,
            request({
              response_format: jsonSchema({ type: "object", properties: { n: { type: "integer", multipleOf: 5 } } })
            })
          )
          expect(isBackendError(error) && error.reason).toBe("bad_request")
          expect(error.param).toBe("response_format.json_schema.schema.properties.n.multipleOf")
          expect(error.code).toBe("invalid_json_schema")
          expect(error.message).toContain("multipleOf")
        }),
      120_000
    )

    it.effect(
      "stop sequences with a JSON response_format are refused (a stop could cut the JSON)",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          const error = yield* failure(engine, request({ stop: ["\n"], response_format: { type: "json_object" } }))
          expect(isBackendError(error) && error.reason).toBe("bad_request")
          expect(error.param).toBe("stop")
        }),
      120_000
    )

    it.effect(
      "json_object: the answer is held to a JSON object (a random model rarely closes its strings)",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          for (let seed = 1; seed <= 4; seed++) {
            const chunks = yield* collect(
              engine,
              request({ max_tokens: 24, temperature: 1, seed, response_format: { type: "json_object" } })
            )
            const text = contentOf(chunks)
            expect(text).toMatch(/^\{/)
            if (assertWellFormed(chunks).finishReason === "stop") {
              const value: unknown = JSON.parse(text)
              expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true)
            }
          }
        }),
      120_000
    )

    it.effect(
      "property: for generated schemas every completed answer validates (ajv 2020-12 + formats)",
      () =>
        Effect.gen(function* () {
          const engine = yield* Engine.Engine
          let runs = 0
          let completed = 0
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(schemaArbitrary, fc.integer({ min: 1, max: 1_000_000 }), async (schema, seed) => {
                runs++
                const chunks = await Effect.runPromise(
                  collect(
                    engine,
                    request({ max_tokens: 48, temperature: 1, seed, response_format: jsonSchema(schema) })
                  )
                )
                const { finishReason } = assertWellFormed(chunks)
                if (finishReason !== "stop") return
                completed++
                const text = contentOf(chunks)
                let value: unknown
                expect(() => (value = JSON.parse(text)), text).not.toThrow()
                expect(validate(schema, value), `${JSON.stringify(schema)} → ${text}`).toBeUndefined()
              }),
              { numRuns: 40, seed: 20261201 }
            )
          )
          // The property is only worth something if the model finishes most answers within the budget.
          expect(completed, `${completed} of ${runs} completed`).toBeGreaterThanOrEqual(runs / 2)
        }),
      120_000
    )
  }
)
