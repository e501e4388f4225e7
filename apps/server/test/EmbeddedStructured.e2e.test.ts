/**
 * Structured output and reasoning usage through the server on the embedded engine, driven by the openai SDK:
 * a `completed` json_schema answer is valid for its schema (the issue's `{n: integer}`), a cut answer is
 * `incomplete`, a keyword the engine cannot enforce is a 400 naming `text.format.schema…`, and
 * `reasoning_tokens` counts the scripted thinking model's thought.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type EmbeddedServer, serveEmbedded } from "./embedded.js"
import { ensureScriptedModel, ensureTinyModel, ScriptedModel } from "@parlance/tiny-model"
import OpenAI from "openai"

const integerFormat = {
  type: "json_schema" as const,
  name: "count",
  strict: true,
  schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false }
}

describe("json_schema on the embedded engine (random tiny model)", () => {
  let running: EmbeddedServer
  beforeAll(async () => {
    running = await serveEmbedded({ path: await ensureTinyModel(), model: "tiny" })
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
  let running: EmbeddedServer
  beforeAll(async () => {
    running = await serveEmbedded({ path: await ensureScriptedModel({ think: true }), model: "thinker" })
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
