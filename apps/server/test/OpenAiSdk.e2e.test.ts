import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import OpenAI from "openai"
import { type Harness, startHarness } from "./harness.js"

let h: Harness
let client: OpenAI
beforeAll(async () => {
  h = await startHarness({ apiKey: "sk-test" })
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-test", maxRetries: 0 })
})
afterAll(() => h.close())

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

describe("the official openai SDK against the server", () => {
  it("creates a response (non-streaming)", async () => {
    const response = await client.responses.create({
      model: "fake-model",
      input: "hello there",
      instructions: "Be brief."
    })
    expect(response.status).toBe("completed")
    expect(response.output_text).toBe("echo: hello there (messages: 2)")
    expect(response.instructions).toBe("Be brief.")
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0)
    )
    // The upstream received the instructions as a system message.
    expect(h.upstream.requests.at(-1).messages[0]).toEqual({ role: "system", content: "Be brief." })
  })

  it("streams events that pass validateStream", async () => {
    const stream = await client.responses.create({ model: "fake-model", input: "stream me", stream: true })
    const events: Array<unknown> = []
    for await (const event of stream) events.push(event)
    expect(validateStream(events, { strict: true })).toEqual([])
    expect((events.at(-1) as any).type).toBe("response.completed")
  })

  it("responses.stream() accumulates and finalResponse() matches", async () => {
    const deltas: Array<string> = []
    const stream = client.responses.stream({ model: "fake-model", input: "accumulate" })
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta))
    const final = await stream.finalResponse()
    expect(final.output_text).toBe("echo: accumulate (messages: 1)")
    expect(deltas.join("")).toBe(final.output_text)
  })

  it("runs a full tool loop: function_call → function_call_output → answer", async () => {
    const first = await client.responses.create({ model: "fake-model", input: "weather in Paris?", tools: [weather] })
    const call = first.output.find((item) => item.type === "function_call")
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" })
    if (call?.type !== "function_call") throw new Error("no call")
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" })
    expect(call.id).toMatch(/^fc_/)
    expect(call.call_id).toBeTruthy()

    const second = await client.responses.create({
      model: "fake-model",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny, 21°C" }],
      tools: [weather]
    })
    expect(second.output_text).toBe("tool said: sunny, 21°C (messages: 3)")
    const sent = h.upstream.requests.at(-1).messages
    expect(sent.map((m: any) => m.role)).toEqual(["user", "assistant", "tool"])
    expect(sent[1].tool_calls[0]).toMatchObject({ id: call.call_id, function: { name: "get_weather" } })
  })

  it("continues a conversation with previous_response_id (instructions not inherited)", async () => {
    const one = await client.responses.create({
      model: "fake-model",
      input: "first",
      instructions: "Only for turn one."
    })
    const two = await client.responses.create({ model: "fake-model", input: "second", previous_response_id: one.id })
    expect(two.previous_response_id).toBe(one.id)
    expect(two.instructions).toBeNull()
    const sent = h.upstream.requests.at(-1).messages
    expect(sent.map((m: any) => [m.role, typeof m.content === "string" ? m.content : null])).toEqual([
      ["user", "first"],
      ["assistant", "echo: first (messages: 2)"],
      ["user", "second"]
    ])
  })

  it("retrieves and deletes", async () => {
    const created = await client.responses.create({ model: "fake-model", input: "keep me" })
    const got = await client.responses.retrieve(created.id)
    expect(got.output_text).toBe(created.output_text)
    expect(got.id).toBe(created.id)
    await client.responses.delete(created.id)
    const again = await fetch(`${h.url}/v1/responses/${created.id}`, {
      method: "DELETE",
      headers: { authorization: "Bearer sk-test" }
    })
    expect(again.status).toBe(404)
    expect((await again.json()).error).toMatchObject({ type: "invalid_request_error", param: "response_id" })
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 })
  })

  it("store: false persists nothing", async () => {
    const created = await client.responses.create({ model: "fake-model", input: "forget me", store: false })
    expect(created).toMatchObject({ store: false })
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 })
  })

  it("pages input_items with after / limit / order", async () => {
    const input = Array.from({ length: 5 }, (_, i) => ({ role: "user" as const, content: `m${i}` }))
    const created = await client.responses.create({ model: "fake-model", input })
    const asc = await client.responses.inputItems.list(created.id, { order: "asc", limit: 2 })
    expect(asc.data.map((i: any) => i.content[0].text)).toEqual(["m0", "m1"])
    expect(asc.has_more).toBe(true)
    const next = await client.responses.inputItems.list(created.id, { order: "asc", limit: 2, after: asc.data[1]!.id! })
    expect(next.data.map((i: any) => i.content[0].text)).toEqual(["m2", "m3"])
    const all: Array<string> = []
    for await (const item of client.responses.inputItems.list(created.id, { limit: 2 }))
      all.push((item as any).content[0].text)
    expect(all).toEqual(["m4", "m3", "m2", "m1", "m0"])
  })

  it("cancels an in-flight response; the stream still ends with one terminal event", async () => {
    const stream = await client.responses.create({ model: "slow", input: "go", stream: true })
    const events: Array<any> = []
    let cancelled: any
    for await (const event of stream) {
      events.push(event)
      if (event.type === "response.output_text.delta" && cancelled === undefined) {
        cancelled = client.responses.cancel(event.item_id.startsWith("msg_") ? events[0].response.id : "")
      }
    }
    const result = await cancelled
    expect(result.status).toBe("cancelled")
    expect(validateStream(events, { strict: true })).toEqual([])
    expect(events.at(-1).type).toBe("response.failed")
    expect(
      events.filter(
        (e) =>
          e.type.startsWith("response.") &&
          ["response.completed", "response.failed", "response.incomplete"].includes(e.type)
      )
    ).toHaveLength(1)
    const text = events.filter((e) => e.type === "response.output_text.delta").length
    expect(text).toBeLessThan(100)
  })

  it("cancels an in-flight response that is not stored (store: false)", async () => {
    const stream = await client.responses.create({ model: "slow", input: "go", stream: true, store: false })
    let id = ""
    let cancelled: Promise<{ status?: string }> | undefined
    const started = Date.now()
    for await (const event of stream) {
      if (event.type === "response.created") id = event.response.id
      if (event.type === "response.output_text.delta") cancelled ??= client.responses.cancel(id)
    }
    expect((await cancelled)?.status).toBe("cancelled")
    expect(Date.now() - started).toBeLessThan(5_000)
    await expect(client.responses.retrieve(id)).rejects.toMatchObject({ status: 404 })
  })

  it("answers bad input with OpenAI errors naming the param", async () => {
    await expect(
      client.responses.create({
        model: "fake-model",
        input: [{ type: "message", role: "user", content: [{ type: "bogus" }] }] as any
      })
    ).rejects.toMatchObject({
      status: 400,
      param: "input[0].content[0].type"
    })
    await expect(
      client.responses.create({ model: "fake-model", input: "x", previous_response_id: "resp_nope" })
    ).rejects.toMatchObject({
      status: 404,
      param: "previous_response_id"
    })
    await expect(client.responses.create({ model: "fake-model", input: "x", temperature: 9 })).rejects.toMatchObject({
      status: 400,
      param: "temperature"
    })
    const noKey = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "wrong", maxRetries: 0 })
    await expect(noKey.responses.create({ model: "fake-model", input: "x" })).rejects.toMatchObject({
      status: 401,
      code: "invalid_api_key"
    })
  })

  it("lists models", async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toContain("fake-model")
  })

  it("passes /v1/chat/completions through, streaming and not", async () => {
    const plain = await client.chat.completions.create({
      model: "fake-model",
      messages: [{ role: "user", content: "pass" }]
    })
    expect(plain.choices[0]?.message.content).toBe("echo: pass (messages: 1)")
    const stream = await client.chat.completions.create({
      model: "fake-model",
      messages: [{ role: "user", content: "pass" }],
      stream: true
    })
    let text = ""
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ""
    expect(text).toBe("echo: pass (messages: 1)")
  })
})
