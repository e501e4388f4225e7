/**
 * The SQLite ConversationStore, on the ResponseStore's connection (sqliteDb.ts: one writer queue, bounded lock
 * waits). Items keep a `position` per conversation, assigned inside the appending transaction (the last one + 1),
 * so the order is stable and a page is read by cursor: the position of the `after` item, then a range scan of the
 * primary key. Nothing here is SQLite-only but the upsert-free SQL dialect: a PostgreSQL store keeps the same
 * tables and statements.
 */
import type { InStatement } from "@libsql/client"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AppendResult, ConversationStoreService, ListResult, StoredConversation } from "../../ConversationStore.js"
import type { StoredItem, StoreError } from "../../ResponseStore.js"
import type * as Sqlite from "./sqliteDb.js"

/** The tables (a migration of sqliteStore.ts: an existing parlance.db gains them). */
export const createTables = (tx: Sqlite.Tx): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    yield* tx.execute(`CREATE TABLE IF NOT EXISTS conversations (
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      record TEXT NOT NULL
    )`)
    yield* tx.execute(`CREATE TABLE IF NOT EXISTS conversation_items (
      conversation_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      item_id TEXT NOT NULL,
      item TEXT NOT NULL,
      PRIMARY KEY (conversation_id, position)
    )`)
    yield* tx.execute(
      "CREATE UNIQUE INDEX IF NOT EXISTS conversation_items_by_id ON conversation_items (conversation_id, item_id)"
    )
  })

// Rows per INSERT: well under SQLite's bound-parameter limit.
const ITEM_ROWS = 100

/**
 * A page of items read with one row more than `limit` (both SQL stores ask so): that extra row only says there
 * is more.
 */
export const pageOfRows = (items: ReadonlyArray<StoredItem>, limit: number): ListResult => ({
  _tag: "Page",
  items: items.slice(0, limit),
  hasMore: items.length > limit
})

/** The first id that `items` holds twice (every conversation store refuses such a call). */
export const repeated = (items: ReadonlyArray<StoredItem>): string | undefined => {
  const seen = new Set<string>()
  for (const item of items) {
    if (seen.has(item.id)) return item.id
    seen.add(item.id)
  }
  return undefined
}

/**
 * Inserts `items` after the conversation's last position. Every check comes before the first write, so a
 * `Duplicate` leaves the transaction with nothing written.
 */
const appendIn = (tx: Sqlite.Tx, id: string, items: ReadonlyArray<StoredItem>) =>
  Effect.gen(function* () {
    const twice = repeated(items)
    if (twice !== undefined) return { _tag: "Duplicate", itemId: twice } as const
    for (let i = 0; i < items.length; i += ITEM_ROWS) {
      const ids = items.slice(i, i + ITEM_ROWS).map((item) => item.id)
      const { rows } = yield* tx.execute({
        sql: `SELECT item_id FROM conversation_items WHERE conversation_id = ? AND item_id IN (${ids.map(() => "?").join(", ")}) LIMIT 1`,
        args: [id, ...ids]
      })
      if (rows[0] !== undefined) return { _tag: "Duplicate", itemId: rows[0].item_id as string } as const
    }
    const { rows } = yield* tx.execute({
      sql: "SELECT COALESCE(MAX(position), 0) AS last FROM conversation_items WHERE conversation_id = ?",
      args: [id]
    })
    const last = Number(rows[0]?.last ?? 0)
    for (let i = 0; i < items.length; i += ITEM_ROWS) {
      const slice = items.slice(i, i + ITEM_ROWS)
      yield* tx.execute({
        sql: `INSERT INTO conversation_items (conversation_id, position, item_id, item) VALUES ${slice.map(() => "(?, ?, ?, ?)").join(", ")}`,
        args: slice.flatMap((item, k) => [id, last + i + k + 1, item.id, JSON.stringify(item)])
      })
    }
    return { _tag: "Appended" } as const
  })

const exists = (tx: Sqlite.Tx, id: string) =>
  Effect.map(tx.execute({ sql: "SELECT 1 FROM conversations WHERE id = ?", args: [id] }), ({ rows }) => rows.length > 0)

export const makeSqliteConversations = (db: Sqlite.Db): ConversationStoreService => {
  const parseItems = (rows: ReadonlyArray<Record<string, unknown>>) =>
    rows.map((row) => JSON.parse(row.item as string) as StoredItem)

  const get = (id: string) =>
    db
      .read({ sql: "SELECT record FROM conversations WHERE id = ?", args: [id] }, "conversation read")
      .pipe(
        Effect.map(({ rows }) =>
          rows[0] ? Option.some(JSON.parse(rows[0].record as string) as StoredConversation) : Option.none()
        )
      )

  return {
    create: (conversation, items) => {
      const twice = repeated(items)
      if (twice !== undefined) return Effect.succeed({ _tag: "Duplicate", itemId: twice } satisfies AppendResult)
      return db.transaction(
        (tx) =>
          Effect.andThen(
            tx.execute({
              sql: "INSERT INTO conversations (id, created_at, record) VALUES (?, ?, ?)",
              args: [conversation.id, conversation.created_at, JSON.stringify(conversation)]
            }),
            appendIn(tx, conversation.id, items)
          ),
        "conversation write"
      )
    },
    get,
    update: (id, metadata) =>
      db.transaction(
        (tx) =>
          Effect.gen(function* () {
            const { rows } = yield* tx.execute({ sql: "SELECT record FROM conversations WHERE id = ?", args: [id] })
            if (rows[0] === undefined) return Option.none<StoredConversation>()
            const next: StoredConversation = { ...JSON.parse(rows[0].record as string), metadata }
            yield* tx.execute({
              sql: "UPDATE conversations SET record = ? WHERE id = ?",
              args: [JSON.stringify(next), id]
            })
            return Option.some(next)
          }),
        "conversation update"
      ),
    delete: (id) =>
      db
        .write(
          [
            { sql: "DELETE FROM conversation_items WHERE conversation_id = ?", args: [id] },
            { sql: "DELETE FROM conversations WHERE id = ? RETURNING id", args: [id] }
          ],
          "conversation delete"
        )
        .pipe(Effect.map((results) => results[1]!.rows.length > 0)),
    append: (id, items) =>
      db.transaction(
        (tx) =>
          Effect.flatMap(
            exists(tx, id),
            (found): Effect.Effect<AppendResult, StoreError> =>
              found ? appendIn(tx, id, items) : Effect.succeed({ _tag: "ConversationNotFound" })
          ),
        "conversation append"
      ),
    items: (id) =>
      Effect.gen(function* () {
        if (Option.isNone(yield* get(id))) return Option.none()
        const { rows } = yield* db.read(
          {
            sql: "SELECT item FROM conversation_items WHERE conversation_id = ? ORDER BY position ASC",
            args: [id]
          },
          "conversation items read"
        )
        return Option.some(parseItems(rows))
      }),
    list: (id, query) =>
      Effect.gen(function* () {
        if (Option.isNone(yield* get(id))) return { _tag: "ConversationNotFound" } satisfies ListResult
        const asc = query.order === "asc"
        let range = ""
        const args: Array<string | number> = [id]
        if (query.after !== undefined) {
          const { rows } = yield* db.read(
            {
              sql: "SELECT position FROM conversation_items WHERE conversation_id = ? AND item_id = ?",
              args: [id, query.after]
            },
            "conversation cursor read"
          )
          if (rows[0] === undefined) return { _tag: "CursorNotFound" } satisfies ListResult
          range = asc ? " AND position > ?" : " AND position < ?"
          args.push(Number(rows[0].position))
        }
        const stmt: InStatement = {
          sql: `SELECT item FROM conversation_items WHERE conversation_id = ?${range} ORDER BY position ${asc ? "ASC" : "DESC"} LIMIT ?`,
          args: [...args, query.limit + 1]
        }
        const { rows } = yield* db.read(stmt, "conversation items read")
        return pageOfRows(parseItems(rows), query.limit)
      }),
    getItem: (id, itemId) =>
      db
        .read(
          {
            sql: "SELECT item FROM conversation_items WHERE conversation_id = ? AND item_id = ?",
            args: [id, itemId]
          },
          "conversation item read"
        )
        .pipe(Effect.map(({ rows }) => (rows[0] ? Option.some(parseItems(rows)[0]!) : Option.none()))),
    deleteItem: (id, itemId) =>
      db
        .write(
          [
            {
              sql: "DELETE FROM conversation_items WHERE conversation_id = ? AND item_id = ? RETURNING item_id",
              args: [id, itemId]
            }
          ],
          "conversation item delete"
        )
        .pipe(Effect.map((results) => results[0]!.rows.length > 0))
  }
}
