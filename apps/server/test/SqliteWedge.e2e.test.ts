/**
 * The issue's reproduction, as a test: two replicas (`parlance serve --store sqlite --data-dir D` twice, one D,
 * two ports) and 100 concurrent stored streams split between them; then every response read back from the
 * OTHER replica, then one more stored request on each. Every step is bounded in time: a replica whose store
 * wedged hangs, and the test fails on the hang instead of waiting for it.
 *
 * On the previous store (`@effect/sql-libsql`) this fails: its `withTransaction` took the client's one-permit
 * semaphore and then ran BEGIN IMMEDIATE, and when BEGIN failed with SQLITE_BUSY the scope that held the
 * permit's release was never closed, so the permit leaked and every later query on that replica (the final
 * writes, GET /v1/responses/{id}, the cancel polls) waited on it forever. BEGIN failed at the first contention
 * because `PRAGMA busy_timeout` reached only the client's first connection: `@libsql/client` 0.12's
 * `transaction()` gave that connection to the transaction and opened a new one without a busy timeout. Two
 * processes writing 200 records at once contend at once (the issue saw it in 2 of 2 runs, and with 20 writes).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sse } from "@parlance/translate"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnParlance } from "../../cli/test/spawnServe.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"

const STREAMS = 100

let upstream: FakeUpstream
let dataDir: string
beforeAll(async () => {
  upstream = await startFakeUpstream()
  dataDir = mkdtempSync(join(tmpdir(), "parlance-wedge-e2e-"))
})
afterAll(async () => {
  await upstream.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** A replica on the shared data dir (`parlance serve`, spawned; the test ends it with SIGKILL). */
const serve = () => spawnParlance(["--upstream", upstream.url, "--store", "sqlite", "--data-dir", dataDir])

const terminalTypes = new Set(["response.completed", "response.incomplete", "response.failed"])

/** A stored streaming request read to its end; its id and terminal event type (or why it has none). */
const stream = async (url: string, i: number): Promise<{ id?: string; terminal: string }> => {
  let id: string | undefined
  try {
    const response = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "plain", input: `stream ${i}`, stream: true }),
      signal: AbortSignal.timeout(30_000)
    })
    const decoder = Sse.makeDecoder()
    const reader = response.body!.getReader()
    for (;;) {
      const read = await reader.read()
      for (const message of read.done ? decoder.end() : decoder.feed(read.value)) {
        if (message.data === "[DONE]") continue
        const event = JSON.parse(message.data)
        if (event.type === "response.created") id = event.response.id
        if (terminalTypes.has(event.type)) return { id, terminal: event.type }
      }
      if (read.done) return { id, terminal: "ended without a terminal event" }
    }
  } catch (error) {
    return { id, terminal: `broke: ${String(error)}` }
  }
}

/** GET with a bound: a wedged store makes it hang, and the hang is the failure. */
const get = async (url: string, id: string): Promise<{ status: number; body: any }> => {
  try {
    const response = await fetch(`${url}/v1/responses/${id}`, { signal: AbortSignal.timeout(10_000) })
    return { status: response.status, body: await response.json() }
  } catch (error) {
    return { status: 0, body: String(error) }
  }
}

describe("two replicas on one SQLite file", () => {
  it("100 concurrent stored streams split between them, every one read back from the other replica", async () => {
    const [a, b] = await Promise.all([serve(), serve()])
    try {
      const started = Date.now()
      const replicas = [a, b] as const
      const results = await Promise.all(Array.from({ length: STREAMS }, (_, i) => stream(replicas[i % 2]!.url, i)))
      const streamed = Date.now() - started
      expect(results.filter((r) => r.terminal !== "response.completed")).toEqual([])

      // Every response, from the replica that did not run it.
      const reads = await Promise.all(results.map((r, i) => get(replicas[(i + 1) % 2]!.url, r.id!)))
      expect(reads.filter((r) => r.status !== 200 || r.body.status !== "completed")).toEqual([])

      // Both replicas still serve stored requests.
      for (const replica of replicas) {
        const response = await fetch(`${replica.url}/v1/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "plain", input: "after" }),
          signal: AbortSignal.timeout(10_000)
        })
        expect(response.status).toBe(200)
        const body = await response.json()
        expect(body.status).toBe("completed")
        expect((await get(replica === a ? b.url : a.url, body.id)).body.status).toBe("completed")
      }
      const logs = a.output() + b.output()
      const storeErrors = logs.match(/StoreError|SqlError|SQLITE_BUSY|database is locked/g) ?? []
      console.log(
        `${STREAMS} stored streams across two replicas: ${streamed} ms streaming, ${Date.now() - started} ms in all, ${storeErrors.length} store errors logged`
      )
      expect(storeErrors).toEqual([])
    } finally {
      await Promise.all([a.kill(), b.kill()])
    }
  }, 180_000)
})
