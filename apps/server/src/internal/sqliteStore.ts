/**
 * The SQLite ResponseStore through `@effect/sql` + `@effect/sql-libsql` (libSQL ships prebuilt binaries on
 * npm: no node-gyp build, unlike better-sqlite3). WAL mode; schema versioned by the sql Migrator.
 */
import { LibsqlClient, LibsqlMigrator } from "@effect/sql-libsql"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { isRunning, itemsOf, type Lease, StoreError, type ResponseStoreService, type StoredItem, type StoredResponse } from "../ResponseStore.js"

const migrations = {
  "0001_create_responses": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS responses (
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      previous_response_id TEXT,
      record TEXT NOT NULL
    )`
  }),
  "0002_create_cancel_requests": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS cancel_requests (id TEXT PRIMARY KEY, requested_at INTEGER NOT NULL)`
  }),
  // item_reference resolves against every stored item: one row per item, indexed by the item's id.
  "0003_create_response_items": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS response_items (
      item_id TEXT NOT NULL,
      response_id TEXT NOT NULL,
      item TEXT NOT NULL,
      PRIMARY KEY (response_id, item_id)
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS response_items_by_item ON response_items (item_id)`
    // Responses stored before this migration: index their items too.
    const rows = yield* sql<{ record: string }>`SELECT record FROM responses`
    for (const row of rows) yield* putItems(sql, JSON.parse(row.record) as StoredResponse)
  }),
  // In-progress records name their owner (a replica id) and carry its heartbeat (DESIGN §5).
  "0004_add_response_leases": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`ALTER TABLE responses ADD COLUMN owner TEXT`
    yield* sql`ALTER TABLE responses ADD COLUMN heartbeat_at INTEGER`
    yield* sql`CREATE INDEX IF NOT EXISTS responses_running ON responses (status) WHERE status IN ('in_progress', 'queued')`
  })
}

const putItems = (sql: SqlClient.SqlClient, record: StoredResponse) => {
  const rows = itemsOf(record).map((item) => ({ item_id: item.id, response_id: record.response.id, item: JSON.stringify(item) }))
  return rows.length === 0 ? Effect.void : sql`INSERT OR REPLACE INTO response_items ${sql.insert(rows)}`
}

const wrap = <A>(effect: Effect.Effect<A, unknown, never>, what: string) =>
  Effect.mapError(effect, (cause) => new StoreError({ message: `Response store: ${what} failed`, cause }))

/** Opens (creating and migrating) `<dataDir>/parlance.db`. */
export const makeSqliteStore = (dataDir: string): Effect.Effect<ResponseStoreService, StoreError> =>
  Effect.gen(function* () {
    mkdirSync(dataDir, { recursive: true })
    const scope = yield* Scope.make()
    const layer = LibsqlMigrator.layer({ loader: LibsqlMigrator.fromRecord(migrations) }).pipe(
      Layer.provideMerge(LibsqlClient.layer({ url: `file:${join(dataDir, "parlance.db")}` }))
    )
    const context = yield* wrap(Layer.buildWithScope(layer, scope), "open")
    const sql = Context.get(context, SqlClient.SqlClient)
    // WAL: readers never block the writer; several server processes can share the file on one host.
    yield* wrap(sql`PRAGMA journal_mode=WAL`, "enable WAL")
    yield* wrap(sql`PRAGMA busy_timeout=5000`, "set busy timeout")
    const run = <A>(effect: Effect.Effect<A, unknown>, what: string) => wrap(effect, what)
    return {
      put: (record: StoredResponse, lease?: Lease) =>
        run(
          sql.withTransaction(
            Effect.zipRight(
              sql`INSERT OR REPLACE INTO responses ${sql.insert({
                id: record.response.id,
                created_at: record.response.created_at,
                status: record.response.status,
                previous_response_id: record.response.previous_response_id,
                record: JSON.stringify(record),
                owner: lease !== undefined && isRunning(record.response.status) ? lease.owner : null,
                heartbeat_at: lease !== undefined && isRunning(record.response.status) ? lease.heartbeatAt : null
              })}`,
              putItems(sql, record)
            )
          ),
          "write"
        ),
      get: (id: string) =>
        run(sql<{ record: string }>`SELECT record FROM responses WHERE id = ${id}`, "read").pipe(
          Effect.map((rows) => (rows[0] ? Option.some(JSON.parse(rows[0].record) as StoredResponse) : Option.none()))
        ),
      getItem: (itemId: string) =>
        run(sql<{ item: string }>`SELECT item FROM response_items WHERE item_id = ${itemId} ORDER BY rowid DESC LIMIT 1`, "item read").pipe(
          Effect.map((rows) => (rows[0] ? Option.some(JSON.parse(rows[0].item) as StoredItem) : Option.none()))
        ),
      heartbeat: (owner: string, at: number) =>
        run(sql`UPDATE responses SET heartbeat_at = ${at} WHERE owner = ${owner} AND status IN ('in_progress', 'queued')`, "heartbeat"),
      failStale: (staleBefore, fail) =>
        Effect.gen(function* () {
          const stale = (sql`status IN ('in_progress', 'queued') AND (heartbeat_at IS NULL OR heartbeat_at < ${staleBefore})`)
          const rows = yield* run(sql<{ id: string; record: string }>`SELECT id, record FROM responses WHERE ${stale}`, "stale scan")
          const failed: Array<string> = []
          for (const row of rows) {
            const record = JSON.parse(row.record) as StoredResponse
            const next = { ...record, response: fail(record.response) }
            // Conditional: a replica that was only slow, and wrote its final state meanwhile, keeps it.
            const updated = yield* run(
              sql`UPDATE responses SET status = ${next.response.status}, record = ${JSON.stringify(next)}, owner = NULL, heartbeat_at = NULL WHERE id = ${row.id} AND ${stale} RETURNING id`,
              "stale write"
            )
            if (updated.length > 0) failed.push(row.id)
          }
          return failed
        }),
      delete: (id: string) =>
        run(
          sql.withTransaction(
            Effect.zipRight(sql`DELETE FROM response_items WHERE response_id = ${id}`, sql`DELETE FROM responses WHERE id = ${id} RETURNING id`)
          ),
          "delete"
        ).pipe(Effect.map((rows) => rows.length > 0)),
      requestCancel: (id: string) =>
        run(sql`INSERT OR REPLACE INTO cancel_requests ${sql.insert({ id, requested_at: Date.now() })}`, "cancel"),
      isCancelRequested: (id: string) =>
        run(sql`SELECT id FROM cancel_requests WHERE id = ${id}`, "cancel lookup").pipe(Effect.map((rows) => rows.length > 0)),
      close: Scope.close(scope, Exit.void)
    } satisfies ResponseStoreService
  })
