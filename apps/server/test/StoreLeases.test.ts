/**
 * The lease contract of every ResponseStore (memory and SQLite alike): an in-progress record names its owner
 * and heartbeat; `heartbeat` renews an owner's records; `failStale` rewrites only running records whose
 * heartbeat is stale (or absent), never a finished one or a fresh one.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeMemoryStore } from "../src/internal/stores/memoryStore.js"
import { makeSqliteStore } from "../src/internal/stores/sqliteStore.js"
import { failInterrupted } from "../src/Replica.js"
import type { ResponseStoreService, StoredResponse } from "../src/ResponseStore.js"

const record = (id: string, status: string) =>
  ({
    response: { id, status, created_at: 0, previous_response_id: null, output: [], error: null },
    input: []
  }) as unknown as StoredResponse

const stores: ReadonlyArray<readonly [string, Effect.Effect<ResponseStoreService, unknown>]> = [
  ["memory", Effect.sync(() => makeMemoryStore())],
  ["sqlite", makeSqliteStore(mkdtempSync(join(tmpdir(), "parlance-leases-")))]
]

for (const [name, open] of stores) {
  describe(`${name} store leases`, () => {
    it.effect("fails only running records whose heartbeat is stale or absent", () =>
      Effect.gen(function* () {
        const store = yield* open
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
        // Once failed, a record is not failed again; a record finished later drops its lease.
        expect(yield* store.failStale(5_000, failInterrupted)).toEqual([])
        yield* store.put(record("alive", "completed"))
        expect(yield* store.failStale(1e15, failInterrupted)).toEqual([])
        yield* store.close
      })
    )
  })
}
