/**
 * `appendEvents` / `readEvents`: a background response's stream, in every store — memory, SQLite and a real
 * PostgreSQL (what a resumed stream reads).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeMemoryStore } from "../src/internal/stores/memoryStore.js"
import { makePgStore } from "../src/internal/stores/pgStore.js"
import { makeSqliteStore } from "../src/internal/stores/sqliteStore.js"
import type { ResponseStoreService, StoredEvent, StoredResponse } from "../src/ResponseStore.js"
import { type PgCluster, startCluster } from "./pgCluster.js"

const record = (id: string) =>
  ({
    response: { id, previous_response_id: null, created_at: 1, status: "in_progress", output: [] },
    input: []
  }) as unknown as StoredResponse
const event = (sequence: number): StoredEvent => ({
  sequence,
  sse: `event: response.output_text.delta\ndata: {"sequence_number":${sequence},"delta":"é ${sequence}"}\n\n`
})
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => event(from + i))

const contract = (name: string, open: () => Effect.Effect<ResponseStoreService, unknown>) =>
  describe(`${name} store: events`, () => {
    it.effect("reads exactly the events after N, in order, the same text; a retried append changes nothing", () =>
      Effect.gen(function* () {
        const store = yield* open()
        yield* store.put(record("resp_e"))
        expect(yield* store.readEvents("resp_e", -1)).toEqual([])
        yield* store.appendEvents("resp_e", range(0, 3))
        yield* store.appendEvents("resp_e", range(3, 250))
        // The same batch again (a write retried after a failure it did not see): kept once.
        yield* store.appendEvents("resp_e", range(3, 5))
        expect(yield* store.readEvents("resp_e", -1)).toEqual(range(0, 250))
        expect(yield* store.readEvents("resp_e", 41)).toEqual(range(42, 250))
        expect(yield* store.readEvents("resp_e", 41, 3)).toEqual(range(42, 45))
        expect(yield* store.readEvents("resp_e", 249)).toEqual([])
        expect(yield* store.readEvents("resp_other", -1)).toEqual([])
        yield* store.close
      })
    )

    it.effect("deleting the response deletes its events", () =>
      Effect.gen(function* () {
        const store = yield* open()
        yield* store.put(record("resp_d"))
        yield* store.appendEvents("resp_d", range(0, 2))
        expect(yield* store.delete("resp_d")).toBe(true)
        expect(yield* store.readEvents("resp_d", -1)).toEqual([])
        yield* store.close
      })
    )
  })

contract("memory", () => Effect.succeed(makeMemoryStore()))

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "parlance-events-"))
  dirs.push(dir)
  return dir
}
contract("SQLite", () => Effect.suspend(() => makeSqliteStore(tempDir())))
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

// PostgreSQL: a throwaway cluster; each store's pool lives in a scope closed before the cluster stops.
let pg: PgCluster
const scopes: Array<Scope.Closeable> = []
beforeAll(async () => {
  pg = await startCluster()
})
afterAll(async () => {
  for (const scope of scopes) await Effect.runPromise(Scope.close(scope, Exit.void))
  await pg?.destroy()
})
const openPg = () =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    scopes.push(scope)
    return yield* makePgStore({ url: pg.url }).pipe(Scope.provide(scope))
  })
contract("PostgreSQL", openPg)
