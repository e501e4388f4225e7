/**
 * The PostgreSQL ConversationStore, on the ResponseStore's pool (pgDb.ts). The same tables and rules as the
 * SQLite one (sqliteConversations.ts): items keep a `position` per conversation, assigned in the appending
 * transaction, so the order is stable and a page is read by cursor. Appends to one conversation from several
 * replicas take turns on the conversation's row (`FOR UPDATE`); every check comes before the first write.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AppendResult, ConversationStoreService, ListResult, StoredConversation } from "../../ConversationStore.js"
import type { StoredItem } from "../../ResponseStore.js"
import type { PgDb } from "./pgDb.js"
import { pageOfRows, repeated } from "./sqliteConversations.js"

const parse = (rows: ReadonlyArray<{ item: string }>) => rows.map((row) => JSON.parse(row.item) as StoredItem)

export const makePgConversations = (db: PgDb): ConversationStoreService => {
  const { sql, call } = db

  /** Inside a transaction that holds the conversation's row: checks, then one INSERT of every item. */
  const appendIn = (id: string, items: ReadonlyArray<StoredItem>) =>
    Effect.gen(function* () {
      const twice = repeated(items)
      if (twice !== undefined) return { _tag: "Duplicate", itemId: twice } satisfies AppendResult
      if (items.length === 0) return { _tag: "Appended" } satisfies AppendResult
      const ids = items.map((item) => item.id)
      const present = yield* sql.unsafe<{ item_id: string }>(
        "SELECT item_id FROM conversation_items WHERE conversation_id = $1 AND item_id = ANY($2::text[]) LIMIT 1",
        [id, ids]
      )
      if (present[0] !== undefined) return { _tag: "Duplicate", itemId: present[0].item_id } satisfies AppendResult
      yield* sql.unsafe(
        `INSERT INTO conversation_items (conversation_id, position, item_id, item)
         SELECT $1, last.position + u.n, u.item_id, u.item
         FROM (SELECT COALESCE(MAX(position), 0) AS position FROM conversation_items WHERE conversation_id = $1) AS last,
              unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(item_id, item, n)`,
        [id, ids, items.map((item) => JSON.stringify(item))]
      )
      return { _tag: "Appended" } satisfies AppendResult
    })

  /** Locks the conversation's row for the transaction: false when it does not exist. */
  const lock = (id: string) =>
    Effect.map(sql.unsafe("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [id]), (rows) => rows.length > 0)

  const get = (id: string) =>
    call(
      "conversation read",
      sql.unsafe<{ record: string }>("SELECT record FROM conversations WHERE id = $1", [id])
    ).pipe(
      Effect.map((rows) =>
        rows[0] ? Option.some(JSON.parse(rows[0].record) as StoredConversation) : Option.none<StoredConversation>()
      )
    )

  return {
    create: (conversation, items) => {
      const twice = repeated(items)
      if (twice !== undefined) return Effect.succeed({ _tag: "Duplicate", itemId: twice } satisfies AppendResult)
      return call(
        "conversation write",
        sql.withTransaction(
          Effect.andThen(
            sql.unsafe("INSERT INTO conversations (id, created_at, record) VALUES ($1, $2::bigint, $3)", [
              conversation.id,
              String(conversation.created_at),
              JSON.stringify(conversation)
            ]),
            appendIn(conversation.id, items)
          )
        )
      )
    },
    get,
    update: (id, metadata) =>
      call(
        "conversation update",
        sql.withTransaction(
          Effect.gen(function* () {
            const rows = yield* sql.unsafe<{ record: string }>(
              "SELECT record FROM conversations WHERE id = $1 FOR UPDATE",
              [id]
            )
            if (rows[0] === undefined) return Option.none<StoredConversation>()
            const next: StoredConversation = { ...JSON.parse(rows[0].record), metadata }
            yield* sql.unsafe("UPDATE conversations SET record = $1 WHERE id = $2", [JSON.stringify(next), id])
            return Option.some(next)
          })
        )
      ),
    // Its items go with it (ON DELETE CASCADE).
    delete: (id) =>
      call("conversation delete", sql.unsafe("DELETE FROM conversations WHERE id = $1 RETURNING id", [id])).pipe(
        Effect.map((rows) => rows.length > 0)
      ),
    append: (id, items) =>
      call(
        "conversation append",
        sql.withTransaction(
          Effect.flatMap(
            lock(id),
            (found): Effect.Effect<AppendResult, unknown> =>
              found ? appendIn(id, items) : Effect.succeed({ _tag: "ConversationNotFound" })
          )
        )
      ),
    items: (id) =>
      Effect.gen(function* () {
        if (Option.isNone(yield* get(id))) return Option.none()
        const rows = yield* call(
          "conversation items read",
          sql.unsafe<{ item: string }>(
            "SELECT item FROM conversation_items WHERE conversation_id = $1 ORDER BY position ASC",
            [id]
          )
        )
        return Option.some(parse(rows))
      }),
    list: (id, query) =>
      Effect.gen(function* () {
        if (Option.isNone(yield* get(id))) return { _tag: "ConversationNotFound" } satisfies ListResult
        const asc = query.order === "asc"
        let range = ""
        const args: Array<string> = [id, String(query.limit + 1)]
        if (query.after !== undefined) {
          const at = yield* call(
            "conversation cursor read",
            sql.unsafe<{ position: string }>(
              "SELECT position FROM conversation_items WHERE conversation_id = $1 AND item_id = $2",
              [id, query.after]
            )
          )
          if (at[0] === undefined) return { _tag: "CursorNotFound" } satisfies ListResult
          range = asc ? " AND position > $3::bigint" : " AND position < $3::bigint"
          args.push(String(at[0].position))
        }
        const rows = yield* call(
          "conversation items read",
          sql.unsafe<{ item: string }>(
            `SELECT item FROM conversation_items WHERE conversation_id = $1${range} ORDER BY position ${asc ? "ASC" : "DESC"} LIMIT $2::bigint`,
            args
          )
        )
        return pageOfRows(parse(rows), query.limit)
      }),
    getItem: (id, itemId) =>
      call(
        "conversation item read",
        sql.unsafe<{ item: string }>(
          "SELECT item FROM conversation_items WHERE conversation_id = $1 AND item_id = $2",
          [id, itemId]
        )
      ).pipe(Effect.map((rows) => (rows[0] ? Option.some(parse(rows)[0]!) : Option.none()))),
    deleteItem: (id, itemId) =>
      call(
        "conversation item delete",
        sql.unsafe("DELETE FROM conversation_items WHERE conversation_id = $1 AND item_id = $2 RETURNING item_id", [
          id,
          itemId
        ])
      ).pipe(Effect.map((rows) => rows.length > 0))
  }
}
