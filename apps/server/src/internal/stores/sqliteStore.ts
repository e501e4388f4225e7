/**
 * The SQLite ResponseStore on `@libsql/client` through sqliteDb.ts (bounded lock waits, one writer queue per
 * process: a store shared by replicas never wedges). WAL mode; the schema is versioned in
 * `effect_sql_migrations`, the table the `@effect/sql` Migrator kept, so an existing parlance.db goes on
 * working.
 */
import type { InStatement } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import {
  isRunning,
  itemsOf,
  type Lease,
  type ResponseStoreService,
  type StoreError,
  type StoredEvent,
  type StoredItem,
  type StoredResponse
} from "../../ResponseStore.js"
import { pollCancel } from "./cancelPoll.js"
import { createTables as createConversationTables } from "./sqliteConversations.js"
import * as Sqlite from "./sqliteDb.js"
import { upgradeStored } from "./storedUpgrade.js"

/** Ids and names as the `@effect/sql` Migrator recorded them (`0001_create_responses` → 1, `create_responses`). */
const migrations: ReadonlyArray<
  readonly [id: number, name: string, run: (tx: Sqlite.Tx) => Effect.Effect<void, StoreError>]
> = [
  [
    1,
    "create_responses",
    (tx) =>
      tx.execute(`CREATE TABLE IF NOT EXISTS responses (
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      previous_response_id TEXT,
      record TEXT NOT NULL
    )`)
  ],
  [
    2,
    "create_cancel_requests",
    (tx) =>
      tx.execute("CREATE TABLE IF NOT EXISTS cancel_requests (id TEXT PRIMARY KEY, requested_at INTEGER NOT NULL)")
  ],
  // item_reference resolves against every stored item: one row per item, indexed by the item's id.
  [
    3,
    "create_response_items",
    (tx) =>
      Effect.gen(function* () {
        yield* tx.execute(`CREATE TABLE IF NOT EXISTS response_items (
        item_id TEXT NOT NULL,
        response_id TEXT NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (response_id, item_id)
      )`)
        yield* tx.execute("CREATE INDEX IF NOT EXISTS response_items_by_item ON response_items (item_id)")
        // Responses stored before this migration: index their items too.
        const { rows } = yield* tx.execute("SELECT record FROM responses")
        for (const row of rows)
          for (const stmt of putItems(JSON.parse(row.record as string) as StoredResponse)) yield* tx.execute(stmt)
      })
  ],
  // In-progress records name their owner (a replica id) and carry its heartbeat (docs/architecture.md#replicas).
  [
    4,
    "add_response_leases",
    (tx) =>
      Effect.gen(function* () {
        yield* tx.execute("ALTER TABLE responses ADD COLUMN owner TEXT")
        yield* tx.execute("ALTER TABLE responses ADD COLUMN heartbeat_at INTEGER")
        yield* tx.execute(
          "CREATE INDEX IF NOT EXISTS responses_running ON responses (status) WHERE status IN ('in_progress', 'queued')"
        )
      })
  ],
  // Conversations and their items (docs/architecture.md#conversations), in the same file as the responses.
  [5, "create_conversations", createConversationTables],
  // A background response's stream, event by event, for GET ?stream=true&starting_after=N on any replica.
  [
    6,
    "create_response_events",
    (tx) =>
      tx.execute(`CREATE TABLE IF NOT EXISTS response_events (
      response_id TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      sse TEXT NOT NULL,
      PRIMARY KEY (response_id, sequence)
    ) WITHOUT ROWID`)
  ]
]

/**
 * The pending migrations, in one write transaction: replicas starting together on one file take turns, and
 * the second finds the work done.
 */
const migrate = (db: Sqlite.Db) =>
  db.transaction(
    (tx) =>
      Effect.gen(function* () {
        yield* tx.execute(`CREATE TABLE IF NOT EXISTS effect_sql_migrations (
  migration_id integer PRIMARY KEY NOT NULL,
  created_at datetime NOT NULL DEFAULT current_timestamp,
  name VARCHAR(255) NOT NULL
)`)
        const { rows } = yield* tx.execute("SELECT max(migration_id) AS latest FROM effect_sql_migrations")
        const latest = Number(rows[0]?.latest ?? 0)
        for (const [id, name, run] of migrations) {
          if (id <= latest) continue
          yield* run(tx)
          yield* tx.execute({
            sql: "INSERT INTO effect_sql_migrations (migration_id, name) VALUES (?, ?)",
            args: [id, name]
          })
        }
      }),
    "migrate"
  )

// Rows per INSERT: well under SQLite's bound-parameter limit.
const ITEM_ROWS = 100

const putItems = (record: StoredResponse): Array<InStatement> => {
  const items = itemsOf(record)
  const stmts: Array<InStatement> = []
  for (let i = 0; i < items.length; i += ITEM_ROWS) {
    const slice = items.slice(i, i + ITEM_ROWS)
    stmts.push({
      sql: `INSERT OR REPLACE INTO response_items (item_id, response_id, item) VALUES ${slice.map(() => "(?, ?, ?)").join(", ")}`,
      args: slice.flatMap((item) => [item.id, record.response.id, JSON.stringify(item)])
    })
  }
  return stmts
}

const putEvents = (id: string, events: ReadonlyArray<StoredEvent>): Array<InStatement> => {
  const stmts: Array<InStatement> = []
  for (let i = 0; i < events.length; i += ITEM_ROWS) {
    const slice = events.slice(i, i + ITEM_ROWS)
    stmts.push({
      sql: `INSERT OR IGNORE INTO response_events (response_id, sequence, sse) VALUES ${slice.map(() => "(?, ?, ?)").join(", ")}`,
      args: slice.flatMap((event) => [id, event.sequence, event.sse])
    })
  }
  return stmts
}

const STALE = "status IN ('in_progress', 'queued') AND (heartbeat_at IS NULL OR heartbeat_at < ?)"

/**
 * Opens (creating and migrating) `<dataDir>/parlance.db`. `options`: lock waits (tests shorten them). The
 * connection (`db`) comes with it, for the other stores on the same file (conversations).
 */
export const makeSqliteStore = (
  dataDir: string,
  options?: Sqlite.SqliteOptions
): Effect.Effect<ResponseStoreService & { readonly db: Sqlite.Db }, StoreError> =>
  Effect.gen(function* () {
    yield* Effect.try({
      try: () => mkdirSync(dataDir, { recursive: true }),
      catch: (cause) => Sqlite.storeError("open", cause)
    })
    const db = yield* Sqlite.open(join(dataDir, "parlance.db"), options)
    yield* Effect.onError(migrate(db), () => db.close)
    const isCancelRequested = (id: string) =>
      db
        .read({ sql: "SELECT id FROM cancel_requests WHERE id = ?", args: [id] }, "cancel lookup")
        .pipe(Effect.map(({ rows }) => rows.length > 0))
    return {
      put: (record: StoredResponse, lease?: Lease) => {
        const leased = lease !== undefined && isRunning(record.response.status)
        return Effect.asVoid(
          db.write(
            [
              {
                sql: "INSERT OR REPLACE INTO responses (id, created_at, status, previous_response_id, record, owner, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                args: [
                  record.response.id,
                  record.response.created_at,
                  record.response.status,
                  record.response.previous_response_id ?? null,
                  JSON.stringify(record),
                  leased ? lease.owner : null,
                  leased ? lease.heartbeatAt : null
                ]
              },
              ...putItems(record)
            ],
            "write"
          )
        )
      },
      get: (id: string) =>
        db
          .read({ sql: "SELECT record FROM responses WHERE id = ?", args: [id] }, "read")
          .pipe(
            Effect.map(({ rows }) =>
              rows[0]
                ? Option.some(upgradeStored(JSON.parse(rows[0].record as string) as StoredResponse))
                : Option.none()
            )
          ),
      getItem: (itemId: string) =>
        db
          .read(
            { sql: "SELECT item FROM response_items WHERE item_id = ? ORDER BY rowid DESC LIMIT 1", args: [itemId] },
            "item read"
          )
          .pipe(
            Effect.map(({ rows }) =>
              rows[0] ? Option.some(JSON.parse(rows[0].item as string) as StoredItem) : Option.none()
            )
          ),
      heartbeat: (owner: string, at: number) =>
        Effect.asVoid(
          db.write(
            [
              {
                sql: "UPDATE responses SET heartbeat_at = ? WHERE owner = ? AND status IN ('in_progress', 'queued')",
                args: [at, owner]
              }
            ],
            "heartbeat"
          )
        ),
      failStale: (staleBefore, fail) =>
        Effect.gen(function* () {
          const { rows } = yield* db.read(
            { sql: `SELECT id, record FROM responses WHERE ${STALE}`, args: [staleBefore] },
            "stale scan"
          )
          if (rows.length === 0) return []
          // Conditional: a replica that was only slow, and wrote its final state meanwhile, keeps it.
          const updates = rows.map((row): InStatement => {
            const record = JSON.parse(row.record as string) as StoredResponse
            const next = { ...record, response: fail(record.response) }
            return {
              sql: `UPDATE responses SET status = ?, record = ?, owner = NULL, heartbeat_at = NULL WHERE id = ? AND ${STALE} RETURNING id`,
              args: [next.response.status, JSON.stringify(next), row.id as string, staleBefore]
            }
          })
          const results = yield* db.write(updates, "stale write")
          return results.flatMap((result, i) => (result.rows.length > 0 ? [rows[i]!.id as string] : []))
        }),
      delete: (id: string) =>
        db
          .write(
            [
              { sql: "DELETE FROM response_items WHERE response_id = ?", args: [id] },
              { sql: "DELETE FROM response_events WHERE response_id = ?", args: [id] },
              { sql: "DELETE FROM responses WHERE id = ? RETURNING id", args: [id] }
            ],
            "delete"
          )
          .pipe(Effect.map((results) => results.at(-1)!.rows.length > 0)),
      appendEvents: (id: string, events: ReadonlyArray<StoredEvent>) =>
        events.length === 0 ? Effect.void : Effect.asVoid(db.write(putEvents(id, events), "event write")),
      readEvents: (id: string, after: number, limit = 1_000) =>
        db
          .read(
            {
              sql: "SELECT sequence, sse FROM response_events WHERE response_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
              args: [id, after, limit]
            },
            "event read"
          )
          .pipe(
            Effect.map(({ rows }) => rows.map((row) => ({ sequence: Number(row.sequence), sse: row.sse as string })))
          ),
      requestCancel: (id: string) =>
        Effect.asVoid(
          db.write(
            [
              { sql: "INSERT OR REPLACE INTO cancel_requests (id, requested_at) VALUES (?, ?)", args: [id, Date.now()] }
            ],
            "cancel"
          )
        ),
      isCancelRequested,
      // One file, no notifications: the flag is polled.
      watchCancel: pollCancel(isCancelRequested),
      available: () => true,
      close: db.close,
      db
    } satisfies ResponseStoreService & { readonly db: Sqlite.Db }
  })
