/**
 * The PostgreSQL ResponseStore: responses, their items (getItem across responses), leases and cancel requests
 * in one database shared by replicas on any number of hosts. Every write is one statement (one round trip,
 * atomic without an explicit transaction); a cancel is a row and a NOTIFY in the same statement, so the
 * replica running the response hears it at once (pgDb.ts `signals`), with the row as the record for one that
 * subscribes late or was disconnected.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import {
  isRunning,
  itemsOf,
  type Lease,
  type ResponseStoreService,
  type StoreError,
  type StoredItem,
  type StoredResponse
} from "../../ResponseStore.js"
import * as Pg from "./pgDb.js"

const CANCEL_CHANNEL = "parlance_cancel"
/** "New events for response X": wakes the replicas that replay X's stream (payload: the response id). */
const EVENTS_CHANNEL = "parlance_events"

const STALE = "status IN ('in_progress', 'queued') AND (heartbeat_at IS NULL OR heartbeat_at < $1::bigint)"

// Numbers travel as text and are cast in SQL: every statement keeps one parameter type per slot, whatever the
// value's size (an untyped parameter takes the column's type).
const PUT = `WITH r AS (
  INSERT INTO responses (id, created_at, status, previous_response_id, record, owner, heartbeat_at)
  VALUES ($1, $2::bigint, $3, $4, $5, $6, $7::bigint)
  ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, status = EXCLUDED.status,
    previous_response_id = EXCLUDED.previous_response_id, record = EXCLUDED.record, owner = EXCLUDED.owner,
    heartbeat_at = EXCLUDED.heartbeat_at
  RETURNING id
), gone AS (
  DELETE FROM response_items WHERE response_id = $1 AND NOT (item_id = ANY($8::text[]))
)
INSERT INTO response_items (response_id, item_id, item)
SELECT (SELECT id FROM r), u.item_id, u.item FROM unnest($8::text[], $9::text[]) AS u(item_id, item)
ON CONFLICT (response_id, item_id) DO UPDATE SET item = EXCLUDED.item, seq = nextval('response_items_seq_seq')`

export const makePgStore = (
  options: Pg.PgOptions
): Effect.Effect<ResponseStoreService & { readonly db: Pg.PgDb }, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const db = yield* Pg.open(options)
    const { sql, call } = db

    const cancelledAmong = (ids: ReadonlyArray<string>) =>
      call(
        "cancel lookup",
        sql.unsafe<{ id: string }>("SELECT id FROM cancel_requests WHERE id = ANY($1::text[])", [ids])
      ).pipe(Effect.map((rows) => new Set(rows.map((row) => row.id))))

    const cancels = yield* Pg.signals(db, CANCEL_CHANNEL, (keys, emit) =>
      // (Re)connected: a cancel sent while this replica was not listening is in the table.
      keys.length === 0
        ? Effect.void
        : Effect.ignore(
            Effect.map(cancelledAmong(keys), (found) => {
              for (const id of found) emit(id)
            })
          )
    )

    // (Re)connected: a reader may have missed a notification; it reads the table again either way.
    const appended = yield* Pg.signals(db, EVENTS_CHANNEL, (keys, emit) =>
      Effect.sync(() => {
        for (const id of keys) emit(id)
      })
    )

    return {
      available: db.available,
      // One statement: the rows (an event already stored is kept: a retried write is harmless) and the NOTIFY.
      appendEvents: (id, events) =>
        events.length === 0
          ? Effect.void
          : Effect.asVoid(
              call(
                "events write",
                sql.unsafe(
                  `WITH e AS (
                    INSERT INTO response_events (response_id, sequence, sse)
                    SELECT $1, u.sequence, u.sse FROM unnest($2::int[], $3::text[]) AS u(sequence, sse)
                    ON CONFLICT (response_id, sequence) DO NOTHING
                  ) SELECT pg_notify('${EVENTS_CHANNEL}', $1)`,
                  [id, events.map((e) => e.sequence), events.map((e) => e.sse)]
                )
              )
            ),
      readEvents: (id, after, limit = 1_000) =>
        call(
          "events read",
          sql.unsafe<{ sequence: number; sse: string }>(
            "SELECT sequence, sse FROM response_events WHERE response_id = $1 AND sequence > $2::int ORDER BY sequence LIMIT $3::int",
            [id, String(after), String(limit)]
          )
        ).pipe(Effect.map((rows) => rows.map((row) => ({ sequence: Number(row.sequence), sse: row.sse })))),
      watchEvents: (id, onNew) => appended.subscribe(id, onNew),
      put: (record: StoredResponse, lease?: Lease) => {
        const leased = lease !== undefined && isRunning(record.response.status)
        const items = itemsOf(record)
        return Effect.asVoid(
          call(
            "write",
            sql.unsafe(PUT, [
              record.response.id,
              String(record.response.created_at),
              record.response.status,
              record.response.previous_response_id ?? null,
              JSON.stringify(record),
              leased ? lease.owner : null,
              leased ? String(lease.heartbeatAt) : null,
              items.map((item) => item.id),
              items.map((item) => JSON.stringify(item))
            ])
          )
        )
      },
      get: (id: string) =>
        call("read", sql.unsafe<{ record: string }>("SELECT record FROM responses WHERE id = $1", [id])).pipe(
          Effect.map((rows) => (rows[0] ? Option.some(JSON.parse(rows[0].record) as StoredResponse) : Option.none()))
        ),
      getItem: (itemId: string) =>
        call(
          "item read",
          sql.unsafe<{ item: string }>("SELECT item FROM response_items WHERE item_id = $1 ORDER BY seq DESC LIMIT 1", [
            itemId
          ])
        ).pipe(Effect.map((rows) => (rows[0] ? Option.some(JSON.parse(rows[0].item) as StoredItem) : Option.none()))),
      heartbeat: (owner: string, at: number) =>
        Effect.asVoid(
          call(
            "heartbeat",
            sql.unsafe(
              "UPDATE responses SET heartbeat_at = $1::bigint WHERE owner = $2 AND status IN ('in_progress', 'queued')",
              [String(at), owner]
            )
          )
        ),
      failStale: (staleBefore, fail) =>
        Effect.gen(function* () {
          const rows = yield* call(
            "stale scan",
            sql.unsafe<{ id: string; record: string }>(`SELECT id, record FROM responses WHERE ${STALE}`, [
              String(staleBefore)
            ])
          )
          const failed: Array<string> = []
          // Conditional: a replica that was only slow, and wrote its final state meanwhile, keeps it; of two
          // replicas sweeping at once, one wins each row.
          for (const row of rows) {
            const record = JSON.parse(row.record) as StoredResponse
            const next = { ...record, response: fail(record.response) }
            const updated = yield* call(
              "stale write",
              sql.unsafe(
                `UPDATE responses SET status = $2, record = $3, owner = NULL, heartbeat_at = NULL WHERE id = $4 AND ${STALE} RETURNING id`,
                [String(staleBefore), next.response.status, JSON.stringify(next), row.id]
              )
            )
            if (updated.length > 0) failed.push(row.id)
          }
          return failed
        }),
      delete: (id: string) =>
        call(
          "delete",
          sql.unsafe(
            "WITH e AS (DELETE FROM response_events WHERE response_id = $1) DELETE FROM responses WHERE id = $1 RETURNING id",
            [id]
          )
        ).pipe(Effect.map((rows) => rows.length > 0)),
      requestCancel: (id: string) =>
        Effect.asVoid(
          call(
            "cancel",
            sql.unsafe(
              `WITH c AS (
                INSERT INTO cancel_requests (id, requested_at) VALUES ($1, $2::bigint)
                ON CONFLICT (id) DO UPDATE SET requested_at = EXCLUDED.requested_at
              ) SELECT pg_notify('${CANCEL_CHANNEL}', $1)`,
              [id, String(Date.now())]
            )
          )
        ),
      isCancelRequested: (id: string) => Effect.map(cancelledAmong([id]), (found) => found.has(id)),
      watchCancel: (id, onCancel) => {
        let done = false
        const once = () => {
          if (done) return
          done = true
          onCancel()
        }
        // No read of the table here (no round trip per stream): another replica sends a cancel only after it
        // read the in-progress record, which is written after this subscription; a cancel sent while the
        // LISTEN connection was down is re-read when it reopens (`signals`' hook above).
        const unsubscribe = cancels.subscribe(id, once)
        return () => {
          done = true
          unsubscribe()
        }
      },
      // The pool closes with the layer's scope.
      close: Effect.void,
      db
    } satisfies ResponseStoreService & { readonly db: Pg.PgDb }
  })
