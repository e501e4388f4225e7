/**
 * `/v1/chat/completions` is the same pipeline as `/v1/responses` (internal/completion.ts): capped by
 * `--max-output-tokens`, registered in Generations (the drain waits for it, or stops it past its grace period)
 * and counted in Metrics (active streams, time to first token, tokens). The real server over loopback, in front
 * of a backend the test paces: a ChatBackend on the same SourceBuffer the engine and the upstream feed.
 */
import { type ChatBackend, type ChatCompletions, SourceBuffer } from "@parlance/schema"
import { Sse } from "@parlance/translate"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { Server, Upstream } from "../src/index.js"
import { startFakeUpstream } from "./fakeUpstream.js"

const base = { id: "chatcmpl-paced", object: "chat.completion.chunk" as const, created: 0, model: "paced" }
const delta = (content: string): ChatCompletions.ChatCompletionChunk => ({
  ...base,
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})
const finish: ChatCompletions.ChatCompletionChunk = {
  ...base,
  choices: [{ index: 0, delta: {}, finish_reason: "stop" }]
}
const usage: ChatCompletions.ChatCompletionChunk = {
  ...base,
  choices: [],
  usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13, prompt_tokens_details: { cached_tokens: 3 } }
}

/** A backend whose completions the test writes: each `open` hands its buffer over, its first chunk already in. */
const pacedBackend = () => {
  const opened: Array<{ buffer: SourceBuffer.SourceBuffer; request: ChatCompletions.ChatCompletionRequest }> = []
  let releases = 0
  const waiters: Array<() => void> = []
  const backend: ChatBackend.ChatBackend = {
    kind: "paced",
    models: Effect.succeed([{ id: "paced", owned_by: "test", created: 0 }]),
    open: (request) =>
      Effect.sync(() => {
        const buffer = SourceBuffer.make({ onRelease: () => void releases++ })
        buffer.offer({
          ...base,
          choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]
        })
        opened.push({ buffer, request })
        for (const wake of waiters.splice(0)) wake()
        return buffer.source
      })
  }
  /** The `n`th completion opened (from 1), once it is. */
  const nth = async (n: number) => {
    while (opened.length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    return opened[n - 1]!
  }
  const finishIt = (buffer: SourceBuffer.SourceBuffer) => {
    buffer.offerAll([delta("world"), finish, usage])
    buffer.end()
  }
  return { backend, nth, finishIt, releases: () => releases }
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
const metric = async (url: string, name: string) => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`${name} `))
  return Number(line?.slice(name.length + 1))
}
/** The metric once it reads `value`, or what it reads after `ms`: the stream's release may follow its last bytes by a turn. */
const metricSettles = async (url: string, name: string, value: number, ms = 5_000) => {
  const start = Date.now()
  let now = await metric(url, name)
  while (now !== value && Date.now() - start < ms) {
    await new Promise((r) => setTimeout(r, 20))
    now = await metric(url, name)
  }
  return now
}
const frames = (text: string) => Sse.decodeText(text).map((m) => m.data)
const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))])

describe("/v1/chat/completions: one pipeline with /v1/responses", () => {
  it("is counted in the metrics: an active stream while it runs, its time to first token and its tokens", async () => {
    const paced = pacedBackend()
    const server = await Server.start({ backend: paced.backend, port: 0 })
    try {
      const answer = await post(server.url, {
        model: "paced",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        stream_options: { include_usage: true }
      })
      expect(answer.status).toBe(200)
      const { buffer } = await paced.nth(1)
      expect(await metric(server.url, "parlance_active_streams")).toBe(1)
      expect(await metric(server.url, "parlance_time_to_first_token_seconds_count")).toBe(1)
      expect((await (await fetch(`${server.url}/health`)).json()).active_streams).toBe(1)
      paced.finishIt(buffer)
      const data = frames(await answer.text())
      expect(data.at(-1)).toBe("[DONE]")
      expect(JSON.parse(data.at(-2)!).usage.prompt_tokens).toBe(11)
      expect(await metricSettles(server.url, "parlance_active_streams", 0)).toBe(0)
      expect(await metric(server.url, 'parlance_tokens_total{kind="input"}')).toBe(11)
      expect(await metric(server.url, 'parlance_tokens_total{kind="output"}')).toBe(2)
      expect(await metric(server.url, 'parlance_tokens_total{kind="cached"}')).toBe(3)
      // Not streamed: counted the same way.
      const plain = post(server.url, { model: "paced", messages: [{ role: "user", content: "hi" }] })
      paced.finishIt((await paced.nth(2)).buffer)
      const completion = await (await plain).json()
      expect(completion.choices[0].message.content).toBe("world")
      expect(await metric(server.url, 'parlance_tokens_total{kind="input"}')).toBe(22)
      expect(await metric(server.url, "parlance_time_to_first_token_seconds_count")).toBe(2)
      expect(await metricSettles(server.url, "parlance_active_streams", 0)).toBe(0)
      expect(paced.releases()).toBe(2)
    } finally {
      await server.close()
    }
  })

  it("a drain waits for a running chat completion, streamed or not, and refuses new ones", async () => {
    const paced = pacedBackend()
    const server = await Server.start({ backend: paced.backend, port: 0, drainTimeoutMs: 10_000 })
    const streamed = await post(server.url, {
      model: "paced",
      messages: [{ role: "user", content: "a" }],
      stream: true
    })
    const plain = post(server.url, { model: "paced", messages: [{ role: "user", content: "b" }] })
    const first = await paced.nth(1)
    const second = await paced.nth(2)
    const closing = server.close()
    expect(await settledWithin(closing, 300)).toBe(false)
    const refused = await post(server.url, { model: "paced", messages: [{ role: "user", content: "c" }] })
    expect(refused.status).toBe(503)
    expect((await refused.json()).error.code).toBe("server_shutting_down")
    paced.finishIt(first.buffer)
    const data = frames(await streamed.text())
    expect(data.at(-1)).toBe("[DONE]")
    expect(data.map((d) => (d === "[DONE]" ? "" : (JSON.parse(d).choices[0]?.delta.content ?? ""))).join("")).toBe(
      "world"
    )
    expect(await settledWithin(closing, 300)).toBe(false)
    paced.finishIt(second.buffer)
    expect((await (await plain).json()).choices[0].message.content).toBe("world")
    await closing
  })

  it("past the drain's grace period a stream is stopped: one error frame, then [DONE], and the backend released", async () => {
    const paced = pacedBackend()
    const server = await Server.start({ backend: paced.backend, port: 0, drainTimeoutMs: 100 })
    const streamed = await post(server.url, {
      model: "paced",
      messages: [{ role: "user", content: "a" }],
      stream: true
    })
    await paced.nth(1)
    await server.close()
    const data = frames(await streamed.text())
    expect(data.at(-1)).toBe("[DONE]")
    expect(JSON.parse(data.at(-2)!).error).toMatchObject({ type: "server_error" })
    expect(paced.releases()).toBe(1)
  })

  it("--max-output-tokens caps a chat completion that sets no limit, and only that", async () => {
    const paced = pacedBackend()
    const server = await Server.start({ backend: paced.backend, port: 0, defaultMaxOutputTokens: 7 })
    try {
      const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [{}, { max_tokens: 7 }],
        [{ max_tokens: 50 }, { max_tokens: 50 }],
        [{ max_completion_tokens: 40 }, { max_completion_tokens: 40 }]
      ]
      for (const [i, [limit, asked]] of cases.entries()) {
        const answer = post(server.url, { model: "paced", messages: [{ role: "user", content: "x" }], ...limit })
        const { buffer, request } = await paced.nth(i + 1)
        paced.finishIt(buffer)
        expect((await answer).status).toBe(200)
        expect(request).toMatchObject(asked)
        if ("max_completion_tokens" in limit) expect(request.max_tokens).toBeUndefined()
      }
    } finally {
      await server.close()
    }
  })

  it("the upstream's raw pass-through is counted and drained too", async () => {
    const upstream = await startFakeUpstream()
    const server = await Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0 })
    try {
      // 20 chunks, 40 ms apart: under a second, streamed unchanged.
      const answer = await post(server.url, {
        model: "bench/20/40",
        messages: [{ role: "user", content: "x" }],
        stream: true
      })
      expect(answer.status).toBe(200)
      expect(await metric(server.url, "parlance_active_streams")).toBe(1)
      const closing = server.close()
      const text = await answer.text()
      await closing
      expect(frames(text).at(-1)).toBe("[DONE]")
      expect(text).toContain("token19 ")
    } finally {
      await server.close()
      await upstream.close()
    }
  })
})
