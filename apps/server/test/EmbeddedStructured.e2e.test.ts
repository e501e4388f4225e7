/**
 * Structured output and reasoning usage through the server on the embedded engine, driven by the openai SDK:
 * a `completed` json_schema answer is valid for its schema (the issue's `{n: integer}`), a cut answer is
 * `incomplete`, a keyword the engine cannot enforce is a 400 naming `text.format.schema…`, and
 * `reasoning_tokens` counts the scripted thinking model's thought.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Engine } from "@parlance/engine"
import { ensureScriptedModel, ensureTinyModel, ScriptedModel } from "@parlance/tiny-model"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import OpenAI from "openai"
import { Server } from "../src/index.js"
import * as SpecTap from "./specTap.js"

interface Running {
  readonly client: OpenAI
  readonly close: () => Promise<void>
}

const serve = async (path: string, model: string): Promise<Running> => {
  const scope = Effect.runSync(Scope.make())
  // One thread: the tiny models gain nothing from more, and spinning threads crawl on a loaded host.
  const engine = await Effect.runPromise(
    Engine.make({ model: path, modelName: model, contextSize: 2048, threads: 1 }).pipe(Scope.provide(scope))
  )
  const server = await Server.start({ backend: engine, port: 0, defaultModel: model })
  const spec = SpecTap.watch(server.url)
  return {
    client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 }),
    close: async () => {
      await server.close()
      await Effect.runPromise(Scope.close(scope, Exit.void))
      spec.check()
    }
  }
}

const integerFormat = {
  type: "json_schema" as const,
  name: "count",
  strict: true,
  schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false }
}

describe("json_schema on the embedded engine (random tiny model)", () => {
  let running: Running
  beforeAll(async () => {
    running = await serve(await ensureTinyModel(), "tiny")
  }, 120_000)
  afterAll(() => running?.close())

  it("{n: integer}: completed answers hold an integer (never 15E215971), cut ones are incomplete", async () => {
    const statuses: Array<string> = []
    for (let i = 0; i < 8; i++) {
      const response = await running.client.responses.create({
        model: "tiny",
        input: `Pick a number (${i}).`,
        temperature: 1,
        max_output_tokens: i < 2 ? 3 : 40,
        text: { format: integerFormat }
      })
      statuses.push(response.status ?? "")
      if (response.status === "completed") {
        expect(response.output_text).toMatch(/^\{\s*"n"\s*:\s*-?(0|[1-9]\d{0,14})\s*\}$/)
        expect(Number.isSafeInteger(JSON.parse(response.output_text).n)).toBe(true)
      } else {
        expect(response.status).toBe("incomplete")
        expect(response.incomplete_details?.reason).toBe("max_output_tokens")
      }
    }
    // Three tokens cannot hold `{"n":…}` and its end; forty can.
    expect(statuses.slice(0, 2)).toEqual(["incomplete", "incomplete"])
    expect(statuses).toContain("completed")
  }, 120_000)

  it("a keyword the engine cannot enforce: 400 naming it under text.format.schema", async () => {
    const error = await running.client.responses
      .create({
        model: "tiny",
        input: "hi",
        text: {
          format: {
            ...integerFormat,
            schema: { type: "object", properties: { n: { type: "integer", multipleOf: 5 } } }
          }
        }
      })
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>
    expect(bad.status).toBe(400)
    expect(bad.param).toBe("text.format.schema.properties.n.multipleOf")
    expect(bad.code).toBe("invalid_json_schema")
  }, 60_000)
})

describe("reasoning_tokens on the embedded engine (scripted thinking model)", () => {
  let running: Running
  beforeAll(async () => {
    running = await serve(await ensureScriptedModel({ think: true }), "thinker")
  }, 120_000)
  afterAll(() => running?.close())

  it("usage.output_tokens_details.reasoning_tokens counts the thought's tokens", async () => {
    const response = await running.client.responses.create({
      model: "thinker",
      input: "Hi there",
      temperature: 0,
      max_output_tokens: 40
    })
    expect(response.status).toBe("completed")
    expect(response.output_text).toBe(ScriptedModel.ANSWER_TEXT)
    const reasoning = response.output.find((item) => item.type === "reasoning")
    expect(reasoning).toBeDefined()
    // The script thinks "OK." as the tokens `O`, `K`, `.`.
    expect(response.usage?.output_tokens_details.reasoning_tokens).toBe(3)
    expect(response.usage!.output_tokens).toBeGreaterThan(3)
  }, 60_000)
})
