/**
 * The server in embedded mode: the real engine on the real tiny GGUF, the official openai SDK over loopback.
 * The same client-facing checks as proxy mode, every stream through validateStream. The tiny model's text is
 * nonsense; its mechanics (sampling, grammars, KV cache, sequences) are the real ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type EmbeddedServer, serveEmbedded } from "./embedded.js"
import { Engine } from "@parlance/engine"
import { validateStream } from "@parlance/translate"
import { ensureTinyModel } from "@parlance/tiny-model"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import OpenAI from "openai"
import { Server } from "../src/index.js"
import { postSse, violations } from "./harness.js"

let served: EmbeddedServer | undefined
let server: Server.RunningServer
let client: OpenAI
const model = "tiny"

beforeAll(async () => {
  served = await serveEmbedded({ path: await ensureTinyModel(), model, parallel: 2 })
  ;({ server, client } = served)
}, 120_000)
afterAll(() => served?.close())

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Berlin"] } },
    required: ["city"],
    additionalProperties: false
  },
  strict: true
}

describe("embedded engine behind the server, driven by the openai SDK", () => {
  it("streams a response that passes validateStream", async () => {
    const capture = await postSse(`${server.url}/v1/responses`, {
      model,
      input: "Say hello",
      max_output_tokens: 12,
      stream: true
    })
    expect(capture.status).toBe(200)
    expect(violations(capture)).toEqual([])
    const terminal = capture.events.at(-1)
    expect(["response.completed", "response.incomplete"]).toContain(terminal.type)
    expect(terminal.response.usage.output_tokens).toBeGreaterThan(0)
  })

  it("a max_output_tokens past the context is clamped to the room left, and incomplete only when that room ran out", {
    timeout: 120_000
  }, async () => {
    // A small context of its own, so that running out of room takes a moment.
    const small = Effect.runSync(Scope.make())
    try {
      const engine = await Effect.runPromise(
        Engine.make({ model: await ensureTinyModel(), modelName: model, contextSize: 256, threads: 1 }).pipe(
          Scope.provide(small)
        )
      )
      const tight = await Server.start({ backend: engine, port: 0, defaultModel: model })
      try {
        const response = await new OpenAI({
          baseURL: `${tight.url}/v1`,
          apiKey: "unused",
          maxRetries: 0
        }).responses.create({ model, input: "Go on for as long as you can", max_output_tokens: 2_147_483_647 })
        expect(response.max_output_tokens).toBe(2_147_483_647)
        const usage = response.usage!
        // LlamaChat keeps one token free past the prompt: the room is context − 1 − prompt.
        expect(usage.input_tokens + usage.output_tokens).toBeLessThanOrEqual(255)
        if (response.status === "incomplete") {
          expect(response.incomplete_details?.reason).toBe("max_output_tokens")
          expect(usage.output_tokens).toBe(255 - usage.input_tokens)
        } else expect(response.status).toBe("completed")
      } finally {
        await tight.close()
      }
    } finally {
      await Effect.runPromise(Scope.close(small, Exit.void))
    }
  })

  it("non-streaming equals what responses.stream() accumulates", async () => {
    const stream = client.responses.stream({ model, input: "Tell me a story", max_output_tokens: 10 })
    const final = await stream.finalResponse()
    expect(final.status).toBe("incomplete")
    expect(final.incomplete_details?.reason).toBe("max_output_tokens")
    expect(final.usage?.output_tokens).toBe(10)
    const plain = await client.responses.create({ model, input: "Tell me a story", max_output_tokens: 10 })
    expect(plain.status).toBe("incomplete")
    expect(plain.usage?.output_tokens).toBe(10)
  })

  it("runs a tool loop with a forced call (tool_choice required)", async () => {
    const first = await client.responses.create({
      model,
      input: "weather?",
      tools: [weather],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_output_tokens: 64
    })
    const call = first.output.find((item) => item.type === "function_call")
    if (call?.type !== "function_call") throw new Error(`no function call in ${JSON.stringify(first.output)}`)
    expect(call.name).toBe("get_weather")
    expect(["Paris", "Berlin"]).toContain(JSON.parse(call.arguments).city)
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }],
      tools: [weather],
      tool_choice: "none",
      max_output_tokens: 8
    })
    expect(second.output.some((item) => item.type === "message")).toBe(true)
  })

  it("forces a named tool and streams its arguments grammar-valid", async () => {
    const capture = await postSse(`${server.url}/v1/responses`, {
      model,
      input: "weather?",
      tools: [weather],
      tool_choice: { type: "function", name: "get_weather" },
      parallel_tool_calls: false,
      max_output_tokens: 64,
      stream: true
    })
    expect(violations(capture)).toEqual([])
    const done = capture.events.find((e) => e.type === "response.function_call_arguments.done")
    expect(JSON.parse(done.arguments)).toHaveProperty("city")
  })

  it("json_schema output is valid against its schema", async () => {
    const response = await client.responses.create({
      model,
      input: "A colour",
      max_output_tokens: 64,
      text: {
        format: {
          type: "json_schema",
          name: "colour",
          strict: true,
          schema: {
            type: "object",
            properties: { colour: { type: "string", enum: ["red", "green"] } },
            required: ["colour"],
            additionalProperties: false
          }
        }
      }
    })
    expect(["red", "green"]).toContain(JSON.parse(response.output_text).colour)
  })

  it("turn 2 through previous_response_id reports cached tokens", async () => {
    const one = await client.responses.create({
      model,
      input: "First turn of a long conversation about the weather in Paris.",
      max_output_tokens: 8
    })
    const two = await client.responses.create({
      model,
      input: "And tomorrow?",
      previous_response_id: one.id,
      max_output_tokens: 8
    })
    expect(two.usage!.input_tokens).toBeGreaterThan(one.usage!.input_tokens)
    expect(two.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(0)
  })

  it("cancel stops the generation; the stream ends with one terminal event", async () => {
    const stream = await client.responses.create({
      model,
      input: "go on forever",
      max_output_tokens: 2000,
      stream: true
    })
    const events: Array<any> = []
    let cancelled: Promise<unknown> | undefined
    for await (const event of stream) {
      events.push(event)
      if (event.type === "response.output_text.delta" || event.type === "response.reasoning_text.delta")
        cancelled ??= client.responses.cancel(events[0].response.id)
    }
    expect(((await cancelled) as any).status).toBe("cancelled")
    expect(validateStream(events, { strict: true })).toEqual([])
    expect(events.at(-1).response.usage.output_tokens ?? 0).toBeLessThan(2000)
  })

  it("serves /v1/chat/completions from the same backend", async () => {
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 5
    })
    expect(completion.choices[0]?.finish_reason).toBe("length")
    expect(completion.usage?.completion_tokens).toBe(5)
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true }
    })
    let last: any
    for await (const chunk of stream) last = chunk
    expect(last.usage.completion_tokens).toBe(5)
  })

  it("a prompt longer than the context is a 400 context_length_exceeded", async () => {
    await expect(client.responses.create({ model, input: "word ".repeat(5000) })).rejects.toMatchObject({
      status: 400,
      code: "context_length_exceeded"
    })
  })

  it("/health and /metrics report the engine's sequences and queue", async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({
      status: "ok",
      backend: "engine",
      load: { busy: 0, waiting: 0, size: 2 }
    })
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toContain('parlance_backend_slots{state="total"} 2')
    expect(text).toContain("parlance_backend_queue 0")
  })

  it("lists the loaded model", async () => {
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([model])
  })
})
