/**
 * The PostgreSQL ResponseStore on a real, throwaway PostgreSQL (pgCluster.ts): the store contract (records,
 * items across responses, leases, delete), migrations run by several replicas at once, cancel heard through
 * LISTEN/NOTIFY by another replica, the password in no error or log, and the database stopped and started
 * again (fails as StoreError, `available()` false, back without a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { makePgConversations } from "../src/internal/stores/pgConversations.js"
import { migrations } from "../src/internal/stores/pgDb.js"
import { makePgStore } from "../src/internal/stores/pgStore.js"
import { failInterrupted } from "../src/Replica.js"
import type { StoredResponse } from "../src/ResponseStore.js"
import { type PgCluster, startCluster } from "./pgCluster.js"

let pg: PgCluster
beforeAll(async () => {
  pg = await startCluster()
})
afterAll(() => pg?.destroy())

const record = (id: string, status: string, itemIds: ReadonlyArray<string> = []) =>
  ({
    response: {
      id,
      status,
      created_at: 1_700_000_000,
      previous_response_id: null,
      output: itemIds.map((itemId) => ({ id: itemId, type: "message", role: "assistant", content: [], status })),
      error: null
    },
    input: [{ id: `in_${id}`, type: "message", role: "user", content: "hi" }]
  }) as unknown as StoredResponse

/** Opens a store (its own pool: one replica) in a scope the caller closes. */
const open = (url = pg.url, extra: Partial<Parameters<typeof makePgStore>[0]> = {}) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const store = yield* makePgStore({ url, ...extra }).pipe(Scope.provide(scope))
    return { store, close: Scope.close(scope, Exit.void) }
  })

const until = (check: () => boolean, ms: number) =>
  Effect.gen(function* () {
    const start = Date.now()
    while (!check() && Date.now() - start < ms) yield* Effect.sleep(5)
    return Date.now() - start
  })

describe("PostgreSQL store", () => {
  it.live("migrates once when 4 replicas start together, and stores records and items", () =>
    Effect.gen(function* () {
      const replicas = yield* Effect.all(
        Array.from({ length: 4 }, () => open()),
        { concurrency: "unbounded" }
      )
      const [a, b] = [replicas[0]!.store, replicas[1]!.store]
      yield* a.put(record("resp_1", "in_progress", ["msg_1"]), { owner: "r1", heartbeatAt: Date.now() })
      yield* a.put(record("resp_1", "completed", ["msg_1", "fc_1"]))
      // Read on another replica.
      const got = Option.getOrThrow(yield* b.get("resp_1"))
      expect(got).toEqual(record("resp_1", "completed", ["msg_1", "fc_1"]))
      expect(Option.getOrThrow(yield* b.getItem("fc_1"))).toMatchObject({ id: "fc_1", status: "completed" })
      expect(Option.getOrThrow(yield* b.getItem("in_resp_1"))).toMatchObject({ content: "hi" })
      // The newest response holding an item wins.
      yield* a.put(record("resp_2", "completed", ["msg_1"]))
      const newest = Option.getOrThrow(yield* b.getItem("msg_1")) as any
      expect(newest.id).toBe("msg_1")
      expect(yield* b.delete("resp_2")).toBe(true)
      expect(yield* b.delete("resp_2")).toBe(false)
      expect(Option.isSome(yield* a.getItem("msg_1"))).toBe(true) // still in resp_1
      expect(Option.isNone(yield* a.get("resp_2"))).toBe(true)
      expect(Option.isNone(yield* a.getItem("in_resp_2"))).toBe(true)
      for (const r of replicas) yield* r.close
    })
  )

  it.live("a database from before conversations and events (migration 1 only) gains their tables, records kept", () =>
    Effect.gen(function* () {
      const old = yield* open()
      yield* old.store.put(record("resp_v1", "completed", ["msg_v1"]))
      // Back to what the first PostgreSQL version left.
      yield* old.store.db.sql.unsafe("DROP TABLE response_events, conversation_items, conversations")
      yield* old.store.db.sql.unsafe("DELETE FROM parlance_migrations WHERE id >= 2")
      yield* old.close
      const replicas = yield* Effect.all([open(), open()], { concurrency: "unbounded" })
      const { store } = replicas[0]!
      const applied = yield* store.db.sql.unsafe<{ id: number }>("SELECT id FROM parlance_migrations ORDER BY id")
      expect(applied.map((row) => Number(row.id))).toEqual(migrations.map((m) => m.id))
      expect(Option.getOrThrow(yield* replicas[1]!.store.get("resp_v1")).response.status).toBe("completed")
      yield* store.appendEvents("resp_v1", [{ sequence: 0, sse: "data: 0\n\n" }])
      expect(yield* replicas[1]!.store.readEvents("resp_v1", -1)).toHaveLength(1)
      const conversations = makePgConversations(store.db)
      expect(
        yield* conversations.create({ id: "conv_v1", object: "conversation", created_at: 1, metadata: {} }, [])
      ).toEqual({ _tag: "Appended" })
      for (const r of replicas) yield* r.close
    })
  )

  it.live("leases: fails only running records whose heartbeat is stale or absent, once", () =>
    Effect.gen(function* () {
      const { store, close } = yield* open()
      yield* store.put(record("alive", "in_progress"), { owner: "r1", heartbeatAt: 1_000 })
      yield* store.put(record("dead", "in_progress"), { owner: "r2", heartbeatAt: 1_000 })
      yield* store.put(record("legacy", "in_progress"))
      yield* store.put(record("done", "completed"), { owner: "r2", heartbeatAt: 1_000 })
      yield* store.heartbeat("r1", 9_000)
      const failed = yield* store.failStale(5_000, failInterrupted)
      expect([...failed].sort()).toEqual(["dead", "legacy"])
      const status = (id: string) => Effect.map(store.get(id), (r) => Option.getOrThrow(r).response)
      expect((yield* status("alive")).status).toBe("in_progress")
      expect(yield* status("dead")).toMatchObject({
        status: "failed",
        error: { code: "server_error", message: "The server stopped during generation." }
      })
      expect((yield* status("done")).status).toBe("completed")
      expect(yield* store.failStale(5_000, failInterrupted)).toEqual([])
      yield* store.put(record("alive", "completed"))
      expect(yield* store.failStale(1e15, failInterrupted)).toEqual([])
      yield* close
    })
  )

  it.live("a cancel requested on one replica reaches a watcher on another within 100 ms (NOTIFY)", () =>
    Effect.gen(function* () {
      const a = yield* open()
      const b = yield* open()
      const times: Array<number> = []
      for (let i = 0; i < 5; i++) {
        let fired = 0
        const stop = a.store.watchCancel(`live_${i}`, () => fired++)
        yield* Effect.sleep(50)
        yield* b.store.requestCancel(`live_${i}`)
        times.push(yield* until(() => fired > 0, 5_000))
        expect(fired).toBe(1)
        stop()
      }
      // Heard through the NOTIFY (there is no poll to fall back on): judged by the median, so that one stall of a
      // loaded machine (or the first sample's LISTEN connection still opening) does not decide; the max only
      // bounds a hiccup, in seconds.
      const median = [...times].sort((x, y) => x - y)[2]!
      expect(median).toBeLessThan(100)
      expect(Math.max(...times)).toBeLessThan(3_000)
      // A stopped watch is not called.
      let after = 0
      a.store.watchCancel("stopped", () => after++)()
      yield* b.store.requestCancel("stopped")
      yield* Effect.sleep(200)
      expect(after).toBe(0)
      expect(yield* a.store.isCancelRequested("stopped")).toBe(true)
      yield* a.close
      yield* b.close
    })
  )

  it.live("events: append (a stored one kept), read after/limit, deleted with the response", () =>
    Effect.gen(function* () {
      const { store, close } = yield* open()
      const ev = (sequence: number, tag = "") => ({ sequence, sse: `event: e\ndata: {"n":${sequence}${tag}}\n\n` })
      yield* store.put(record("resp_ev", "in_progress"), { owner: "r1", heartbeatAt: Date.now() })
      yield* store.appendEvents("resp_ev", [ev(0), ev(1), ev(2)])
      // A retried write: the stored events stay as they were, the new one lands.
      yield* store.appendEvents("resp_ev", [ev(2, ',"retry":true'), ev(3)])
      yield* store.appendEvents("resp_ev", [])
      expect(yield* store.readEvents("resp_ev", -1)).toEqual([ev(0), ev(1), ev(2), ev(3)])
      expect(yield* store.readEvents("resp_ev", 1)).toEqual([ev(2), ev(3)])
      expect(yield* store.readEvents("resp_ev", 0, 2)).toEqual([ev(1), ev(2)])
      expect(yield* store.readEvents("resp_ev", 3)).toEqual([])
      expect(yield* store.readEvents("resp_other", -1)).toEqual([])
      // Sequence numbers need not be contiguous.
      yield* store.appendEvents("resp_ev", [ev(100_000)])
      expect((yield* store.readEvents("resp_ev", 3)).map((e) => e.sequence)).toEqual([100_000])
      // Events may come before the record (no foreign key), and go with its delete.
      yield* store.appendEvents("resp_early", [ev(0)])
      expect(yield* store.readEvents("resp_early", -1)).toEqual([ev(0)])
      expect(yield* store.delete("resp_ev")).toBe(true)
      expect(yield* store.readEvents("resp_ev", -1)).toEqual([])
      yield* close
    })
  )

  it.live("watchEvents: an append on one replica wakes a watcher on another, also after a restart", () =>
    Effect.gen(function* () {
      const a = yield* open()
      const b = yield* open()
      expect(a.store.watchEvents).toBeDefined()
      let fired = 0
      let other = 0
      const stop = a.store.watchEvents!("resp_w", () => fired++)
      const stopOther = a.store.watchEvents!("resp_w_other", () => other++)
      // Once the LISTEN connection is up it wakes every watcher (one may have missed an append meanwhile):
      // a spurious wake is harmless (the reader re-reads), so only what follows is counted.
      yield* Effect.sleep(500)
      fired = 0
      other = 0
      const times: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const before = fired
        const sent = Date.now()
        yield* b.store.appendEvents("resp_w", [{ sequence: i, sse: `data: ${i}\n\n` }])
        yield* until(() => fired > before, 2_000)
        times.push(Date.now() - sent)
        expect(fired).toBe(before + 1)
      }
      // Woken by the NOTIFY, not a poll (a watcher has none): the median, so that one hiccup of a loaded machine
      // (the first write opening a pool connection) does not decide.
      const median = [...times].sort((x, y) => x - y)[2]!
      expect(median).toBeLessThan(100)
      expect(Math.max(...times)).toBeLessThan(1_000)
      expect(other).toBe(0)
      // Counted before the stop: the LISTEN connection may reopen (and wake the watcher) before both pools are
      // known to be available again.
      const reopened = fired
      pg.stop()
      pg.start()
      // Reconnected: the LISTEN connection reopens; the watcher is woken once at that point (it may have missed
      // something), then by each append as before.
      yield* until(() => a.store.available() && b.store.available(), 10_000)
      yield* until(() => fired > reopened, 10_000)
      expect(fired).toBeGreaterThan(reopened)
      const woken = fired
      yield* Effect.retry(b.store.appendEvents("resp_w", [{ sequence: 10, sse: "data: 10\n\n" }]), {
        times: 20,
        schedule: Schedule.spaced(Duration.millis(250))
      })
      yield* until(() => fired > woken, 5_000)
      expect(fired).toBeGreaterThan(woken)
      expect((yield* a.store.readEvents("resp_w", 4)).map((e) => e.sequence)).toEqual([10])
      // Stopped watchers are not called.
      stop()
      stopOther()
      const last = fired
      yield* b.store.appendEvents("resp_w", [{ sequence: 11, sse: "data: 11\n\n" }])
      yield* Effect.sleep(200)
      expect(fired).toBe(last)
      yield* a.close
      yield* b.close
    })
  )

  it.live("never shows the password: a wrong one, an unreachable host, a bad TLS setting", () =>
    Effect.gen(function* () {
      const logs: Array<string> = []
      const logger = Logger.make(({ message }) => void logs.push(JSON.stringify(message)))
      const wrong = pg.url.replace(pg.password, "Wrong-Secret-123")
      const failures = [
        yield* Effect.flip(open(wrong)),
        yield* Effect.flip(open(pg.url.replace(`:${pg.port}/`, ":1/"), { connectTimeoutMs: 500 })),
        yield* Effect.flip(open(pg.url, { sslMode: "require" }))
      ].map((e) => `${e.message} ${JSON.stringify(e)} ${String(e)}`)
      // Logged failures too (a store that was up and then is refused).
      const { store, close } = yield* open()
      pg.stop()
      yield* Effect.flip(store.get("x")).pipe(Effect.provide(Logger.layer([logger])))
      pg.start()
      yield* close
      expect(failures[0]).toMatch(/password|auth/i)
      expect(failures[1]).toMatch(/connect/i)
      const everything = [...failures, ...logs].join("\n")
      expect(logs.length).toBeGreaterThan(0)
      for (const secret of [pg.password, "Wrong-Secret-123"]) expect(everything).not.toContain(secret)
    })
  )

  it.live("database stopped and started: StoreError and available() false, then back by itself", () =>
    Effect.gen(function* () {
      const { store, close } = yield* open()
      yield* store.put(record("kept", "completed"))
      expect(store.available()).toBe(true)
      pg.stop()
      const failure = yield* Effect.flip(store.get("kept"))
      expect(failure._tag).toBe("StoreError")
      expect(store.available()).toBe(false)
      expect((yield* Effect.flip(store.put(record("lost", "completed"))))._tag).toBe("StoreError")
      pg.start()
      // The background probe brings it back without any request.
      yield* until(() => store.available(), 10_000)
      expect(store.available()).toBe(true)
      expect(Option.getOrThrow(yield* store.get("kept")).response.status).toBe("completed")
      // And cancel notifications flow again (the LISTEN connection reopened).
      let fired = 0
      store.watchCancel("after-restart", () => fired++)
      const other = yield* open()
      yield* Effect.sleep(700)
      yield* other.store.requestCancel("after-restart")
      // A deadline, not a latency bound: the LISTEN connection reopens on its own schedule (a cancel sent before
      // it is up is re-read from the table then).
      yield* until(() => fired > 0, 10_000)
      expect(fired).toBe(1)
      yield* other.close
      yield* close
    })
  )
})
