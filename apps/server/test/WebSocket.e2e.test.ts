/**
 * WebSocket mode with the official openai SDK's `ResponsesWS` client, against the real server over loopback in
 * proxy mode (the fake upstream): one response, lanes interleaving on one socket, FIFO on a lane, malformed
 * events, a client gone mid-response, `generate: false`, the handshake's auth, drain.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SpecValidator } from "@parlance/open-responses"
import { validateStream } from "@parlance/translate"
import OpenAI from "openai"
import WebSocket from "ws"
import { Server, Upstream } from "../src/index.js"
import { startFakeUpstream } from "./fakeUpstream.js"
import { type Harness, startHarness } from "./harness.js"
import { endings, isTerminal, openSession } from "./wsClient.js"

const key = "sk-test"
let h: Harness
let client: OpenAI
beforeAll(async () => {
  h = await startHarness({ apiKey: key })
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: key, maxRetries: 0 })
})
afterAll(() => h.close())

/** Without the lane's `stream_id`: the event exactly as SSE would carry it. */
const bare = (event: any) => {
  const { stream_id: _, ...rest } = event
  return rest
}

/** A lane's events are one grammar-clean stream each, every event valid against the Open Responses spec. */
const clean = (events: ReadonlyArray<any>) => {
  expect(validateStream(events.map(bare), { strict: true })).toEqual([])
  expect(SpecValidator.validateEvents(events.map(bare))).toEqual([])
}

describe("WebSocket mode with the openai SDK (proxy mode)", () => {
  it("one response: the events as over SSE, one per frame, ending with exactly one terminal event", async () => {
    const s = openSession(h.url, key)
    s.ws.send({ type: "response.create", model: "fake-model", input: "hello socket" })
    await s.until((events) => events.some(isTerminal))
    const done = s.events.at(-1)
    expect(done.type).toBe("response.completed")
    expect(done.response.output[0].content[0].text).toBe("echo: hello socket (messages: 1)")
    expect(s.events.every((e) => e.stream_id === undefined)).toBe(true)
    clean(s.events)
    // Stored as over HTTP (store defaults to true).
    const stored = await client.responses.retrieve(done.response.id)
    expect(stored.status).toBe("completed")
    s.ws.close()
    expect(await s.closed).toBe(1000)
  })

  it("two lanes interleave on one socket, each lane grammar-clean and tagged with its stream_id", async () => {
    const s = openSession(h.url, key)
    // 40 chunks 25 ms apart: each lane runs for a second, so b starts long before a ends even on a loaded machine.
    s.ws.send({ type: "response.create", model: "bench/40/25", input: "a", stream_id: "a" })
    s.ws.send({ type: "response.create", model: "bench/40/25", input: "b", stream_id: "b" })
    await s.until((events) => events.filter(isTerminal).length === 2)
    const order = s.events.map((e) => e.stream_id)
    // Interleaved: lane b's events began before lane a's ended, and lane a went on after b's began.
    const firstB = order.indexOf("b")
    const lastA = order.lastIndexOf("a")
    expect(firstB).toBeGreaterThan(-1)
    expect(firstB).toBeLessThan(lastA)
    let switches = 0
    for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++
    expect(switches).toBeGreaterThan(2)
    for (const lane of ["a", "b"]) {
      const events = s.lane(lane)
      clean(events)
      expect(events.at(-1).type).toBe("response.completed")
      expect(events.at(-1).response.output[0].content[0].text).toContain("token39")
    }
    expect(s.lane("a")[0].response.id).not.toBe(s.lane("b")[0].response.id)
    s.ws.close()
  })

  it("one lane is FIFO: the second response starts after the first ended", async () => {
    const s = openSession(h.url, key)
    s.ws.send({ type: "response.create", model: "bench/20/5", input: "first", stream_id: "x" })
    s.ws.send({ type: "response.create", model: "fake-model", input: "second", stream_id: "x" })
    await s.until((events) => events.filter(isTerminal).length === 2)
    const types = s.events.map((e) => e.type)
    const firstEnd = types.indexOf("response.completed")
    expect(types.lastIndexOf("response.created")).toBe(firstEnd + 1)
    const created = s.events.filter((e) => e.type === "response.created")
    expect(created.map((e) => e.stream_id)).toEqual(["x", "x"])
    clean(s.events.slice(0, firstEnd + 1))
    clean(s.events.slice(firstEnd + 1))
    expect(s.events.at(-1).response.output[0].content[0].text).toBe("echo: second (messages: 1)")
    // The default lane is one more lane, FIFO too.
    const d = openSession(h.url, key)
    d.ws.send({ type: "response.create", model: "bench/20/5", input: "one" })
    d.ws.send({ type: "response.create", model: "fake-model", input: "two" })
    await d.until((events) => events.filter(isTerminal).length === 2)
    const dt = d.events.map((e) => e.type)
    expect(dt.lastIndexOf("response.created")).toBe(dt.indexOf("response.completed") + 1)
    s.ws.close()
    d.ws.close()
  })

  it("a malformed event gets an error event in the SDK's shape; the socket stays usable", async () => {
    const s = openSession(h.url, key)
    s.ws.sendRaw("{not json")
    s.ws.sendRaw(JSON.stringify({ type: "response.create", model: "fake-model", input: 42, stream_id: "m" }))
    s.ws.sendRaw(JSON.stringify({ type: "response.bogus" }))
    s.ws.sendRaw(JSON.stringify({ type: "response.create", model: "fake-model", input: "x", background: true }))
    s.ws.sendRaw(`${'{"a":'.repeat(200)}1${"}".repeat(200)}`)
    await s.until((events) => events.filter((e) => e.type === "error").length === 5)
    const errors = s.events.filter((e) => e.type === "error")
    for (const e of errors) {
      expect(e.status).toBe(400)
      expect(typeof e.error.message).toBe("string")
      expect(typeof e.error.code).toBe("string")
      expect(e.error.type).toBe("invalid_request_error")
    }
    // Refused at once: not JSON, an unknown type, a field WebSocket mode forbids, too deep.
    expect(errors.slice(0, 4).map((e) => e.error.code)).toEqual([
      "invalid_json",
      "invalid_event_type",
      "unsupported_parameter",
      "nesting_too_deep"
    ])
    // The create that fails to decode is answered on its lane (after preparation), naming the param.
    expect(errors[4]).toMatchObject({ stream_id: "m", error: { param: "input", code: "invalid_value" } })
    // The SDK surfaced each as an error (with the event attached).
    expect(s.errors.length).toBe(5)
    expect(s.errors[4].error.error.param).toBe("input")
    s.ws.send({ type: "response.create", model: "fake-model", input: "still here" })
    await s.until((events) => events.some(isTerminal))
    expect(s.events.at(-1).response.output[0].content[0].text).toBe("echo: still here (messages: 1)")
    s.ws.close()
  })

  it("a response that fails does not poison the other lanes", async () => {
    const s = openSession(h.url, key)
    s.ws.send({ type: "response.create", model: "bench/30/5", input: "ok", stream_id: "good" })
    s.ws.send({ type: "response.create", model: "fault/500", input: "boom", stream_id: "bad" })
    s.ws.send({ type: "response.create", model: "fake-model", input: "again", stream_id: "bad" })
    await s.until((events) => endings(events) === 3)
    expect(s.lane("bad")[0]).toMatchObject({ type: "error", status: 502, stream_id: "bad" })
    expect(s.lane("bad").at(-1).type).toBe("response.completed")
    expect(s.lane("good").at(-1).type).toBe("response.completed")
    clean(s.lane("good"))
    s.ws.close()
  })

  it("a client that closes mid-response aborts its generation: the stored response says so", async () => {
    const aborted = h.upstream.aborted()
    const s = openSession(h.url, key)
    s.ws.send({ type: "response.create", model: "slow", input: "long" })
    await s.until((events) => events.some((e) => e.type === "response.output_text.delta"))
    const id = s.events[0].response.id
    s.ws.close()
    await s.closed
    // Deadlines, not latency bounds (a loaded machine may be slow to get there); `slow` would run 10 s on.
    let stored: any
    for (const deadline = Date.now() + 8_000; Date.now() < deadline; ) {
      stored = await client.responses.retrieve(id)
      if (stored.status !== "in_progress") break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(stored.status).toBe("cancelled")
    expect(stored.error?.message).toContain("disconnected")
    // The upstream request was cut too.
    for (const deadline = Date.now() + 8_000; Date.now() < deadline && h.upstream.aborted() === aborted; )
      await new Promise((r) => setTimeout(r, 50))
    expect(h.upstream.aborted()).toBeGreaterThan(aborted)
  })

  it("store: false continues on the same socket only; generate: false warms without output", async () => {
    const s = openSession(h.url, key)
    s.ws.send({ type: "response.create", model: "fake-model", input: "remember cobalt", store: false, generate: false })
    await s.until((events) => events.some(isTerminal))
    const warm = s.events.at(-1)
    expect(warm.type).toBe("response.completed")
    expect(warm.response.output).toEqual([])
    expect(warm.response.usage.output_tokens).toBe(0)
    expect(warm.response.usage.input_tokens).toBeGreaterThan(0)
    clean(s.events)
    // The backend was asked for one token (the prompt evaluated, nothing kept).
    expect(h.upstream.requests.at(-1).max_tokens).toBe(1)
    // Not stored (store: false, as over HTTP)…
    await expect(client.responses.retrieve(warm.response.id)).rejects.toMatchObject({ status: 404 })
    // …but continued on this socket with only the new input.
    s.ws.send({
      type: "response.create",
      model: "fake-model",
      input: "and now?",
      store: false,
      previous_response_id: warm.response.id
    })
    await s.until((events) => events.filter(isTerminal).length === 2)
    expect(s.events.at(-1).response.output[0].content[0].text).toBe("echo: and now? (messages: 2)")
    expect(h.upstream.requests.at(-1).messages.map((m: any) => m.content)).toEqual(["remember cobalt", "and now?"])
    s.ws.close()
  })

  it("the handshake needs the API key: none or a wrong one is refused with 401", async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${h.url.replace("http", "ws")}/v1/responses`, { headers })
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0))
        ws.on("open", () => {
          ws.close()
          resolve(101)
        })
        ws.on("error", () => undefined)
      })
    expect(await status({})).toBe(401)
    expect(await status({ authorization: "Bearer wrong" })).toBe(401)
    expect(await status({ authorization: `Bearer ${key}` })).toBe(101)
    expect(await status({ "api-key": key })).toBe(101)
    // And through the SDK: a bad key never opens the socket.
    const s = openSession(h.url, "sk-wrong")
    const code = await s.closed
    expect(code).not.toBe(1000)
    expect(s.events).toEqual([])
    // A plain GET (no upgrade) is told to upgrade.
    const plain = await fetch(`${h.url}/v1/responses`, { headers: { authorization: `Bearer ${key}` } })
    expect(plain.status).toBe(426)
    expect((await plain.json()).error.code).toBe("upgrade_required")
  })

  it("a message past the body limit closes the socket with 1009", async () => {
    const upstream = await startFakeUpstream()
    const server = await Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0, bodyLimit: 4096 })
    try {
      const s = openSession(server.url, "none")
      s.ws.send({ type: "response.create", model: "fake-model", input: "small" })
      await s.until((events) => events.some(isTerminal))
      s.ws.send({ type: "response.create", model: "fake-model", input: "x".repeat(5000) })
      expect(await s.closed).toBe(1009)
    } finally {
      await server.close()
      await upstream.close()
    }
  })

  it("drain: running responses end, new creates are refused, then the socket closes cleanly", async () => {
    const upstream = await startFakeUpstream()
    const server = await Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0 })
    const s = openSession(server.url, "none")
    // 40 chunks 50 ms apart: it runs for 2 s, long past the late create below even on a loaded machine.
    s.ws.send({ type: "response.create", model: "bench/40/50", input: "drain me", stream_id: "d" })
    await s.until((events) => events.some((e) => e.type === "response.output_text.delta"))
    const closing = server.close()
    await new Promise((r) => setTimeout(r, 50))
    s.ws.send({ type: "response.create", model: "fake-model", input: "too late", stream_id: "late" })
    await closing
    const code = await s.closed
    expect(code).toBe(1001)
    expect(s.lane("d").at(-1).type).toBe("response.completed")
    clean(s.lane("d"))
    expect(s.lane("late")).toEqual([expect.objectContaining({ type: "error", status: 503 })])
    expect(s.lane("late")[0].error.code).toBe("server_shutting_down")
    await upstream.close()
  })
})
