import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { Server, Upstream } from "../src/index.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

const startSqlite = (dataDir: string) =>
  Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0, store: "sqlite", dataDir })

describe("the SQLite store", () => {
  it("keeps a response across a server restart, and the conversation continues from it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-db-"))
    const first = await startSqlite(dataDir)
    const one = await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
      model: "fake-model",
      input: "remember"
    })
    await first.close()

    const second = await startSqlite(dataDir)
    try {
      const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "x", maxRetries: 0 })
      const again = await client.responses.retrieve(one.id)
      expect(again.output_text).toBe(one.output_text)
      const items = await client.responses.inputItems.list(one.id)
      expect(items.data).toHaveLength(1)
      const two = await client.responses.create({
        model: "fake-model",
        input: "and now?",
        previous_response_id: one.id
      })
      expect(two.output_text).toBe("echo: and now? (messages: 3)")
    } finally {
      await second.close()
    }
  })

  it("two servers sharing one database serve each other's responses (scale-out)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-db-"))
    const a = await startSqlite(dataDir)
    const b = await startSqlite(dataDir)
    try {
      const one = await new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
        model: "fake-model",
        input: "on a"
      })
      const two = await new OpenAI({ baseURL: `${b.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
        model: "fake-model",
        input: "on b",
        previous_response_id: one.id
      })
      expect(two.output_text).toBe("echo: on b (messages: 3)")
      // A cancel sent to replica b stops a stream that replica a is running.
      const stream = await new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
        model: "slow",
        input: "x",
        stream: true
      })
      const events: Array<any> = []
      let cancelled: Promise<unknown> | undefined
      for await (const event of stream) {
        events.push(event)
        if (event.type === "response.output_text.delta" && cancelled === undefined) {
          cancelled = fetch(`${b.url}/v1/responses/${events[0].response.id}/cancel`, { method: "POST" }).then((r) =>
            r.json()
          )
        }
      }
      expect(((await cancelled) as any).status).toBe("cancelled")
      expect(validateStream(events, { strict: true })).toEqual([])
      expect(events.at(-1).response.status).toBe("cancelled")
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("a live replica's heartbeat keeps its running response in progress while another replica sweeps", {
    timeout: 30_000
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-db-"))
    // Stale after 2 s: both replicas run in this one process, so a stall of its event loop delays a's heartbeat
    // and b's sweep alike; a stale bound of a few heartbeats would let one such stall fail a live response.
    const timings = { heartbeatMs: 100, staleAfterMs: 2_000 }
    const a = await Server.start({
      backend: Upstream.make({ baseUrl: upstream.url }),
      port: 0,
      store: "sqlite",
      dataDir,
      ...timings
    })
    const b = await Server.start({
      backend: Upstream.make({ baseUrl: upstream.url }),
      port: 0,
      store: "sqlite",
      dataDir,
      ...timings
    })
    try {
      const stream = await new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
        model: "slow",
        input: "x",
        stream: true
      })
      // The client keeps reading: the response runs on.
      const events: Array<any> = []
      let begun!: () => void
      const started = new Promise<void>((resolve) => (begun = resolve))
      const reading = (async () => {
        for await (const event of stream) {
          events.push(event)
          if (event.type === "response.output_text.delta") begun()
        }
      })()
      await started
      const id = events[0].response.id
      // Two and a half stale periods pass: b sweeps every 100 ms, a renews its heartbeat every 100 ms.
      await new Promise((r) => setTimeout(r, 5_000))
      expect((await (await fetch(`${b.url}/v1/responses/${id}`)).json()).status).toBe("in_progress")
      const cancelled = await (await fetch(`${b.url}/v1/responses/${id}/cancel`, { method: "POST" })).json()
      expect(cancelled.status).toBe("cancelled")
      await reading
      expect(events.at(-1).response.status).toBe("cancelled")
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("shutdown drains: an in-flight stream ends with its terminal event", async () => {
    const server = await Server.start({
      backend: Upstream.make({ baseUrl: upstream.url }),
      port: 0,
      drainTimeoutMs: 200
    })
    const stream = await new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 }).responses.create({
      model: "slow",
      input: "x",
      stream: true
    })
    const events: Array<any> = []
    let closing: Promise<void> | undefined
    for await (const event of stream) {
      events.push(event)
      if (event.type === "response.output_text.delta") closing ??= server.close()
    }
    await closing
    expect(validateStream(events, { strict: true })).toEqual([])
    expect(events.at(-1).type).toBe("response.failed")
  })
})
