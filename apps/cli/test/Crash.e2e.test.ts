/**
 * kill -9 during 20 concurrent streams, on the SQLite store, with a spawned `parlance serve`; then a restart on
 * the same data dir. Every terminal event a client received is stored as it was sent; every interrupted
 * response is `failed` (server_error) within a bounded time; nothing stays `in_progress`; cancel and
 * `previous_response_id` on an interrupted response are 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sse } from "@parlance/translate"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { tempDir } from "./cliHarness.js"
import { spawnParlance } from "./spawnServe.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

// Short timings, so the test waits seconds, not the default 15 s.
const HEARTBEAT_MS = 300
const STALE_AFTER_MS = 1_200

const serve = (dataDir: string) =>
  spawnParlance(
    [
      "--upstream",
      upstream.url,
      "--store",
      "sqlite",
      "--data-dir",
      dataDir,
      "--heartbeat-interval",
      String(HEARTBEAT_MS),
      "--stale-after",
      String(STALE_AFTER_MS)
    ],
    { startTimeoutMs: 20_000 }
  )

interface Stream {
  readonly id: Promise<string>
  readonly events: Array<any>
  /** Resolves once the stream ended, by its terminal event or by the connection breaking. */
  readonly done: Promise<void>
}

/** A streaming request, read event by event as it arrives. */
const open = (url: string, model: string): Stream => {
  const events: Array<any> = []
  let resolveId!: (id: string) => void
  const id = new Promise<string>((resolve) => (resolveId = resolve))
  const done = (async () => {
    try {
      const response = await fetch(`${url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, input: "go", stream: true })
      })
      const reader = response.body!.getReader()
      const decoder = Sse.makeDecoder()
      for (;;) {
        const read = await reader.read()
        const messages = read.done ? decoder.end() : decoder.feed(read.value)
        for (const message of messages) {
          if (message.data === "[DONE]") continue
          const event = JSON.parse(message.data)
          events.push(event)
          if (event.type === "response.created") resolveId(event.response.id)
        }
        if (read.done) return
      }
    } catch {
      // the server was killed: the stream breaks
    }
  })()
  return { id, events, done }
}

const terminalTypes = new Set(["response.completed", "response.incomplete", "response.failed"])
const terminalOf = (stream: Stream) => stream.events.find((e) => terminalTypes.has(e.type))

describe("kill -9 during 20 concurrent streams (SQLite), then a restart", () => {
  it("keeps every delivered response and fails every interrupted one", { timeout: 120_000 }, async () => {
    const dataDir = tempDir("crash")
    const first = await serve(dataDir)
    // 8 that finish at once and 12 long ones (the fake's "slow" model: 200 chunks, 50 ms apart).
    const quick = Array.from({ length: 8 }, () => open(first.url, "fake-model"))
    const slow = Array.from({ length: 12 }, () => open(first.url, "slow"))
    await Promise.all(quick.map((s) => s.done))
    for (const s of quick) expect(terminalOf(s)?.type).toBe("response.completed")
    // Every slow stream has begun, none has ended.
    const deadline = Date.now() + 30_000
    while (slow.some((s) => !s.events.some((e) => e.type === "response.output_text.delta")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    // The in-progress record is written beside the first events, not before them (no store write ahead of the
    // first byte): wait until every one is in the store (a GET reads the store), not a fixed pause a loaded
    // machine may outrun. Only a stored record can be recovered.
    const started = await Promise.all(slow.map((s) => s.id))
    const statusOnFirst = async (id: string) =>
      ((await (await fetch(`${first.url}/v1/responses/${id}`)).json()) as any).status
    for (const until = Date.now() + 30_000; Date.now() < until; ) {
      if ((await Promise.all(started.map(statusOnFirst))).every((status) => status === "in_progress")) break
      await new Promise((r) => setTimeout(r, 50))
    }
    for (const id of started) expect(await statusOnFirst(id)).toBe("in_progress")
    for (const s of slow) expect(terminalOf(s)).toBeUndefined()

    await first.kill()
    await Promise.all(slow.map((s) => s.done))
    for (const s of slow) expect(terminalOf(s)).toBeUndefined()

    const second = await serve(dataDir)
    try {
      const restartedAt = Date.now()
      const get = async (id: string) => (await fetch(`${second.url}/v1/responses/${id}`)).json()

      // Delivered: stored exactly as the terminal event carried it.
      for (const s of quick) expect(await get(await s.id)).toEqual(terminalOf(s).response)

      // Interrupted: failed within stale-after + a heartbeat or two, nothing left in progress.
      const ids = await Promise.all(slow.map((s) => s.id))
      let records = await Promise.all(ids.map(get))
      while (records.some((r) => r.status === "in_progress") && Date.now() - restartedAt < 20_000) {
        await new Promise((r) => setTimeout(r, 100))
        records = await Promise.all(ids.map(get))
      }
      const took = Date.now() - restartedAt
      for (const record of records) {
        expect(record.status).toBe("failed")
        expect(record.error).toEqual({ code: "server_error", message: "The server stopped during generation." })
      }
      // Stale after 1.2 s, swept every heartbeat: a few heartbeats more, and seconds of slack for a loaded machine.
      expect(took).toBeLessThan(STALE_AFTER_MS + 4 * HEARTBEAT_MS + 5_000)

      // Not running, so neither cancelled nor continued: 400s that say why.
      const cancel = await fetch(`${second.url}/v1/responses/${ids[0]}/cancel`, { method: "POST" })
      expect(cancel.status).toBe(400)
      expect((await cancel.json()).error.code).toBe("response_not_cancellable")
      expect((await get(ids[0]!)).status).toBe("failed")
      const cont = await fetch(`${second.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fake-model", input: "more", previous_response_id: ids[0] })
      })
      expect(cont.status).toBe(400)
      expect((await cont.json()).error).toMatchObject({
        param: "previous_response_id",
        code: "previous_response_not_continuable"
      })
      // A delivered one still continues, and cancelling it (it is not running) is a 400 too.
      const next = await fetch(`${second.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fake-model", input: "more", previous_response_id: await quick[0]!.id })
      })
      expect(next.status).toBe(200)
      expect((await fetch(`${second.url}/v1/responses/${await quick[0]!.id}/cancel`, { method: "POST" })).status).toBe(
        400
      )
    } finally {
      await second.stop()
    }
  })
})
