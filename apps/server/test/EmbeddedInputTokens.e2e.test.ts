/**
 * `POST /v1/responses/input_tokens` on the embedded engine (the scripted tiny model), driven by the openai SDK: the
 * model's tokenizer over the very rendering generation uses, so the count is `usage.input_tokens` of the same
 * request, for every shape (plain, instructions, tools, a tool round trip, stored history, structured output,
 * reasoning on the thinking variant); a prompt past the context is still counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type EmbeddedServer, serveEmbedded } from "./embedded.js"
import { ensureScriptedModel } from "@parlance/tiny-model"
import type OpenAI from "openai"

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false
  },
  strict: true
}

const shapes: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["plain", { input: "Hello" }],
  ["instructions", { instructions: "You are a terse assistant.", input: "Hello" }],
  ["tools", { input: "What is the weather in Paris?", tools: [weather] }],
  [
    "a tool round trip in the input",
    {
      input: [
        { role: "user", content: "What is the weather in Paris?" },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny" }
      ],
      tools: [weather]
    }
  ],
  [
    "structured output",
    {
      input: "A number",
      text: {
        format: {
          type: "json_schema",
          name: "n",
          strict: true,
          schema: {
            type: "object",
            properties: { n: { type: "integer" } },
            required: ["n"],
            additionalProperties: false
          }
        }
      }
    }
  ]
]

const same = async (client: OpenAI, body: Record<string, unknown>) => {
  const counted = await client.responses.inputTokens.count({ model: "scripted", ...body } as any)
  const created = await client.responses.create({ model: "scripted", max_output_tokens: 16, ...body } as any)
  expect(counted.object).toBe("response.input_tokens")
  expect(counted.input_tokens).toBeGreaterThan(0)
  expect(counted.input_tokens).toBe(created.usage?.input_tokens)
  return { counted, created }
}

describe("input token counts on the embedded engine (scripted tiny model)", () => {
  let running: EmbeddedServer
  beforeAll(async () => {
    running = await serveEmbedded({ path: await ensureScriptedModel(), model: "scripted", spec: false })
  }, 120_000)
  afterAll(() => running?.close())

  it.each(shapes)("%s: the count is usage.input_tokens of the same request", async (_, body) => {
    await same(running.client, body)
  })

  it("stored history (previous_response_id after a tool call): counted as the follow-up's usage says", async () => {
    const first = await running.client.responses.create({
      model: "scripted",
      instructions: "Use the tools.",
      input: "What is the weather in Paris?",
      tools: [weather]
    })
    const call = first.output.find((item) => item.type === "function_call")
    expect(call?.type).toBe("function_call")
    const followUp = {
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: (call as { call_id: string }).call_id, output: "sunny" }],
      tools: [weather]
    }
    const { counted } = await same(running.client, followUp)
    expect(counted.input_tokens).toBeGreaterThan(first.usage!.input_tokens)
  })

  it("a prompt past the context is counted, where a create is refused", async () => {
    const input = "word ".repeat(3000)
    const counted = await running.client.responses.inputTokens.count({ model: "scripted", input })
    expect(counted.input_tokens).toBeGreaterThan(2048)
    const error = await running.client.responses.create({ model: "scripted", input }).catch((e: unknown) => e)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded")
  })
})

describe("input token counts with reasoning (scripted thinking model)", () => {
  let running: EmbeddedServer
  beforeAll(async () => {
    running = await serveEmbedded({ path: await ensureScriptedModel({ think: true }), model: "scripted", spec: false })
  }, 120_000)
  afterAll(() => running?.close())

  it("reasoning settings: the count is usage.input_tokens", async () => {
    await same(running.client, { input: "Hello", reasoning: { effort: "high", summary: "auto" } })
    await same(running.client, { instructions: "Think first.", input: "Hello", tools: [weather] })
  })
})
