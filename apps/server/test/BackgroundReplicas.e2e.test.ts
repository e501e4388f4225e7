/**
 * Background responses across replicas sharing one SQLite file: a stream started on A and dropped resumes on B
 * (B reads the store, polling, while A generates) with the same bytes; B cancels what A runs; and a replica
 * process (`parlance serve`) whose stream the other follows live is killed with SIGKILL mid-generation: nothing
 * is left in limbo — the survivor's stale-lease sweep fails it, and its stream ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { checkStream } from "@parlance/translate"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { spawnParlance } from "../../cli/test/spawnServe.js"
import { Server, Upstream } from "../src/index.js"
import { expectWellFormed, poll, readAll, readUntil } from "./background.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

const replica = (dataDir: string, options: Partial<Server.ServerOptions> = {}) =>
  Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0, store: "sqlite", dataDir, ...options })
const sdk = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 })
const deltas = (events: ReadonlyArray<any>) => events.filter((e) => e.type === "response.output_text.delta").length

describe("background responses on replicas sharing SQLite", () => {
  it("started on A, dropped, resumed on B while A generates: one gap-free stream, the same bytes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-bg-"))
    const a = await replica(dataDir)
    const b = await replica(dataDir)
    try {
      const first = await readUntil(
        `${a.url}/v1/responses`,
        { model: "bench/80/20", input: "go", background: true, stream: true },
        (events) => deltas(events) >= 3
      )
      const id = first.events[0].response.id as string
      const cut = first.events.at(-1).sequence_number as number
      // The SDK's resume on B: B does not run it, so it reads A's events from the store as A writes them.
      const resumed: Array<any> = []
      for await (const event of await sdk(b.url).responses.retrieve(id, { stream: true, starting_after: cut }))
        resumed.push(event)
      expect(resumed[0].sequence_number).toBe(cut + 1)
      expectWellFormed([...first.events, ...resumed])
      expect(resumed.at(-1).type).toBe("response.completed")
      // Byte for byte, whichever replica replays it.
      const onA = await readAll(`${a.url}/v1/responses/${id}?stream=true`)
      const onB = await readAll(`${b.url}/v1/responses/${id}?stream=true`)
      const rest = await readAll(`${b.url}/v1/responses/${id}?stream=true&starting_after=${cut}`)
      expect(onB.text).toBe(onA.text)
      expect(first.text + rest.text).toBe(onA.text)
      expect((await sdk(b.url).responses.retrieve(id)).status).toBe("completed")
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("B cancels a background response A runs; B's stream of it ends cancelled", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-bg-"))
    const a = await replica(dataDir)
    const b = await replica(dataDir)
    try {
      const created = await sdk(a.url).responses.create({ model: "slow", input: "go", background: true })
      const following = readAll(`${b.url}/v1/responses/${created.id}?stream=true`)
      await poll(
        () => sdk(b.url).responses.retrieve(created.id),
        (r) => r.status === "in_progress"
      )
      const cancelled = await sdk(b.url).responses.cancel(created.id)
      expect(cancelled.status).toBe("cancelled")
      const stream = await following
      expectWellFormed(stream.events)
      expect(stream.events.at(-1).response.status).toBe("cancelled")
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe("a replica killed mid background generation (SIGKILL)", () => {
  it("leaves nothing in limbo: the survivor fails it, and its stream ends with response.failed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-bg-kill-"))
    const timing = ["--heartbeat-interval", "200", "--stale-after", "800"]
    const spawned = await spawnParlance(
      ["--upstream", upstream.url, "--store", "sqlite", "--data-dir", dataDir].concat(timing)
    )
    const survivor = await replica(dataDir, { heartbeatMs: 200, staleAfterMs: 800 })
    try {
      const first = await readUntil(
        `${spawned.url}/v1/responses`,
        { model: "slow", input: "go", background: true, stream: true },
        (events) => deltas(events) >= 3
      )
      const id = first.events[0].response.id as string
      // Resumed on the survivor while the spawned replica still generates: live, from the store, no gap.
      const cut = first.events.at(-1).sequence_number as number
      const live = await readUntil(
        `${survivor.url}/v1/responses/${id}?stream=true&starting_after=${cut}`,
        undefined,
        (events) => deltas(events) >= 3
      )
      expect(live.events[0].sequence_number).toBe(cut + 1)
      expect([...first.events, ...live.events].map((e) => e.sequence_number)).toEqual(
        Array.from({ length: first.events.length + live.events.length }, (_, i) => i)
      )
      await spawned.kill()
      const failed = await poll(
        () => sdk(survivor.url).responses.retrieve(id),
        (r) => r.status === "failed",
        10_000
      )
      expect(failed.status).toBe("failed")
      expect(failed.error?.code).toBe("server_error")
      // The stream, replayed on the survivor, ends: one terminal event, response.failed, no gap.
      const stream = await readAll(`${survivor.url}/v1/responses/${id}?stream=true`)
      const events = stream.events
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
      expect(events.slice(0, first.events.length)).toEqual(first.events)
      expect(events.slice(first.events.length, first.events.length + live.events.length)).toEqual(live.events)
      expect(
        events.filter((e) => e.type.startsWith("response.failed") || e.type === "response.completed")
      ).toHaveLength(1)
      expect(events.at(-1).type).toBe("response.failed")
      expect(events.at(-1).response.status).toBe("failed")
      // The grammar holds but for the message the dead replica left open (its deltas were cut with it) and the
      // failed record's null usage (a warning: OpenAI's own failed responses carry it too).
      const violations = checkStream(events, { strict: true }).filter((f) => f.severity === "violation")
      expect(new Set(violations.map((v) => v.id))).toEqual(
        new Set(["terminal.item-open", "stream.item-open-at-end", "terminal.usage-null-failed"])
      )
    } finally {
      await spawned.kill()
      await survivor.close()
    }
  }, 120_000)
})
