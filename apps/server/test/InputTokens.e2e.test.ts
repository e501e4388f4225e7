/**
 * `POST /v1/responses/input_tokens` in proxy mode, driven by the openai SDK's `client.responses.inputTokens.count`:
 * in front of a llama-server and a vLLM (faithful fakes of their tokenizer endpoints, whose chat completions report
 * `prompt_tokens` from the same rendering) the count is the `usage.input_tokens` of the same request, whatever its
 * shape; the tokenizer is detected, not guessed; an upstream with neither answers 501, never an estimate; a bad
 * body is a 400 as on create; an upstream that is down is a 502.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { Server, Upstream } from "../src/index.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"
import type { Flavor } from "./fakeTokenizers.js"

interface Running {
  readonly upstream: FakeUpstream
  readonly server: Server.RunningServer
  readonly client: OpenAI
  readonly close: () => Promise<void>
}

const start = async (flavor: Flavor): Promise<Running> => {
  const upstream = await startFakeUpstream({ flavor })
  const server = await Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0 })
  return {
    upstream,
    server,
    client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 }),
    close: async () => {
      await server.close()
      await upstream.close()
    }
  }
}

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false
}

/** Request shapes, each counted and then created: the count must be the create's `usage.input_tokens`. */
const shapes: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["plain", { model: "m", input: "What is the weather in Paris today?" }],
  ["instructions", { model: "m", instructions: "Answer in one word.", input: "Weather in Paris?" }],
  ["tools", { model: "m", input: "Weather in Paris?", tools: [weather], tool_choice: "auto" }],
  [
    "items with a tool round trip",
    {
      model: "m",
      input: [
        { role: "user", content: "Weather in Paris?" },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny, 24 C" }
      ],
      tools: [weather]
    }
  ],
  ["reasoning effort", { model: "m", input: "Think, then answer.", reasoning: { effort: "low" } }],
  [
    "structured output",
    {
      model: "m",
      input: "A number, please.",
      text: {
        format: { type: "json_schema", name: "n", schema: { type: "object", properties: { n: { type: "integer" } } } }
      }
    }
  ]
]

const countAndCreate = async (client: OpenAI, body: Record<string, unknown>) => {
  const counted = await client.responses.inputTokens.count(body as any)
  const created = await client.responses.create({ ...body, stream: false } as any)
  return { counted, created }
}

describe.each(["llama-server", "vllm"] as const)("input token counts through a %s upstream", (flavor) => {
  let r: Running
  beforeAll(async () => {
    r = await start(flavor)
  })
  afterAll(() => r.close())

  it.each(shapes)("%s: the count is usage.input_tokens of the same request", async (_, body) => {
    const { counted, created } = await countAndCreate(r.client, body)
    expect(counted.object).toBe("response.input_tokens")
    expect(counted.input_tokens).toBeGreaterThan(5)
    expect(counted.input_tokens).toBe(created.usage?.input_tokens)
  })

  it("with previous_response_id: the stored conversation is counted, as the follow-up's usage says", async () => {
    const first = await r.client.responses.create({ model: "m", input: "Weather in Paris?", instructions: "Be brief." })
    const body = { model: "m", previous_response_id: first.id, input: "And in Berlin?" }
    const { counted, created } = await countAndCreate(r.client, body)
    expect(counted.input_tokens).toBe(created.usage?.input_tokens)
    // The history made the prompt longer than the new input alone.
    const alone = await r.client.responses.inputTokens.count({ model: "m", input: "And in Berlin?" })
    expect(counted.input_tokens).toBeGreaterThan(alone.input_tokens)
  })

  it("a create's own fields are accepted and change nothing; personality is checked as its type documents it", async () => {
    const plain = await r.client.responses.inputTokens.count({ model: "m", input: "Hi there" })
    const withCreateFields = await r.client.responses.inputTokens.count({
      model: "m",
      input: "Hi there",
      personality: "friendly",
      truncation: "disabled",
      ...({ max_output_tokens: 50, temperature: 0.2, store: false } as object)
    })
    expect(withCreateFields.input_tokens).toBe(plain.input_tokens)
    const error = await r.client.responses.inputTokens
      .count({ model: "m", input: "Hi", personality: "x".repeat(65) })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("personality")
  })
})

describe("the tokenizer is detected, not guessed", () => {
  it("llama-server: /apply-template gets exactly the chat completion's body, /tokenize its prompt with BOS", async () => {
    const r = await start("llama-server")
    try {
      const body = { model: "m", input: "Weather in Paris?", tools: [weather], reasoning: { effort: "high" as const } }
      await r.client.responses.inputTokens.count(body)
      await r.client.responses.create(body)
      const [applied, tokenized] = r.upstream.others
      expect(applied?.path).toBe("/apply-template")
      // One translation: what the template is applied to is what /v1/chat/completions is sent.
      expect(applied?.body).toEqual(r.upstream.requests[0])
      expect(tokenized?.path).toBe("/tokenize")
      expect(tokenized?.body).toMatchObject({ add_special: true, parse_special: true })
      expect(typeof tokenized?.body.content).toBe("string")
    } finally {
      await r.close()
    }
  })

  it("vLLM: detected once (its /apply-template is a 404), then asked at /tokenize only", async () => {
    const r = await start("vllm")
    try {
      for (let i = 0; i < 3; i++) await r.client.responses.inputTokens.count({ model: "m", input: `Turn ${i}` })
      expect(r.upstream.others.map((call) => call.path)).toEqual([
        "/apply-template",
        "/tokenize",
        "/tokenize",
        "/tokenize"
      ])
      expect(r.upstream.others[1]?.body).toMatchObject({
        model: "m",
        add_generation_prompt: true,
        add_special_tokens: false
      })
      expect(Array.isArray(r.upstream.others[1]?.body.messages)).toBe(true)
    } finally {
      await r.close()
    }
  })

  it("llama-server with image input: 501, not a count of the image's marker text", async () => {
    const r = await start("llama-server")
    try {
      const response = await fetch(`${r.server.url}/v1/responses/input_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          input: [
            {
              role: "user",
              content: [
                { type: "input_text", text: "What is this?" },
                { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" }
              ]
            }
          ]
        })
      })
      expect(response.status).toBe(501)
      const error = (await response.json()) as { error: { code: string; message: string } }
      expect(error.error.code).toBe("not_supported")
      expect(error.error.message).toMatch(/image or audio/)
    } finally {
      await r.close()
    }
  })

  it("an upstream with neither: 501 not_supported, not retried, and detection is not repeated at once", async () => {
    const r = await start("plain")
    try {
      const response = await fetch(`${r.server.url}/v1/responses/input_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: "Hi" })
      })
      expect(response.status).toBe(501)
      expect(response.headers.get("x-should-retry")).toBe("false")
      const body = (await response.json()) as { error: Record<string, unknown> }
      expect(body.error).toMatchObject({ type: "server_error", param: null, code: "not_supported" })
      expect(body.error.message).toMatch(/llama-server.*vLLM.*does not estimate/)
      expect(body.error.message).not.toContain("127.0.0.1")
      // The SDK (with its default retries) sees one 501 and does not retry it.
      const retrying = new OpenAI({ baseURL: `${r.server.url}/v1`, apiKey: "unused", maxRetries: 2 })
      const error = await retrying.responses.inputTokens.count({ model: "m", input: "Hi" }).catch((e: unknown) => e)
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(501)
      // Probed once (both endpoints), then the answer is remembered.
      expect(r.upstream.others.map((call) => call.path)).toEqual(["/apply-template", "/tokenize"])
      // Generation through the same upstream is unaffected.
      expect((await r.client.responses.create({ model: "m", input: "Hi" })).status).toBe("completed")
    } finally {
      await r.close()
    }
  })
})

describe("a backend without the capability", () => {
  it("answers 501 not_supported naming its kind, after the body was checked as on create", async () => {
    const upstream = await startFakeUpstream({ flavor: "llama-server" })
    const backend = Upstream.make({ baseUrl: upstream.url })
    const { countPromptTokens: _, ...withoutCount } = backend
    const server = await Server.start({ backend: withoutCount, port: 0 })
    try {
      const post = (body: unknown) =>
        fetch(`${server.url}/v1/responses/input_tokens`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body)
        })
      expect((await post({ model: "m", input: 5 })).status).toBe(400)
      const response = await post({ model: "m", input: "x" })
      expect(response.status).toBe(501)
      expect(response.headers.get("x-should-retry")).toBe("false")
      expect(((await response.json()) as { error: unknown }).error).toEqual({
        message: "Input token counts are not supported by this server's upstream backend.",
        type: "server_error",
        param: null,
        code: "not_supported"
      })
      expect(upstream.others).toEqual([])
    } finally {
      await server.close()
      await backend.close()
      await upstream.close()
    }
  })
})

describe("errors as on create", () => {
  let r: Running
  beforeAll(async () => {
    r = await start("llama-server")
  })
  afterAll(() => r.close())

  it("a bad body is a 400 naming the param; nothing reaches the upstream", async () => {
    const before = r.upstream.others.length
    for (const [body, param] of [
      [{ model: "m", input: "x", tools: "nope" }, "tools"],
      [{ model: "m", input: 5 }, "input"],
      [{ model: "m", input: "x", stream_options: { include_obfuscation: true } }, "stream_options"]
    ] as const) {
      const response = await fetch(`${r.server.url}/v1/responses/input_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
      expect(response.status).toBe(400)
      const error = (await response.json()) as { error: { type: string; param: string } }
      expect(error.error.type).toBe("invalid_request_error")
      expect(error.error.param).toBe(param)
    }
    const notJson = await fetch(`${r.server.url}/v1/responses/input_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{"
    })
    expect(notJson.status).toBe(400)
    expect(r.upstream.others.length).toBe(before)
  })

  it("an unknown previous_response_id is a 404, as on create", async () => {
    const error = await r.client.responses.inputTokens
      .count({ model: "m", input: "x", previous_response_id: "resp_missing" })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id")
  })

  it("the route is counted in /metrics under its own label", async () => {
    await r.client.responses.inputTokens.count({ model: "m", input: "x" })
    const metrics = await (await fetch(`${r.server.url}/metrics`)).text()
    expect(metrics).toMatch(/route="\/v1\/responses\/input_tokens",status="200"/)
  })
})

describe("an upstream that is down", () => {
  it("is a 502 upstream_unreachable without its address, every time: never taken for an upstream without a tokenizer", async () => {
    const server = await Server.start({ backend: Upstream.make({ baseUrl: "http://127.0.0.1:9/v1" }), port: 0 })
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${server.url}/v1/responses/input_tokens`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", input: "x" })
        })
        expect(response.status).toBe(502)
        const text = await response.text()
        expect(JSON.parse(text).error).toMatchObject({ type: "server_error", code: "upstream_unreachable" })
        expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/)
      }
    } finally {
      await server.close()
    }
  })
})
