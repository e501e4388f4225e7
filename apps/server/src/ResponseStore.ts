/**
 * `ResponseStore`: where responses and their input items live, so that `previous_response_id`, retrieve,
 * input_items and delete work — across restarts (SQLite) and across replicas sharing one database.
 * @since 0.1.0
 */
import type { ResponseObject } from "@parlance/schema"
import type { ToChatRequest } from "@parlance/translate"
import * as Context from "effect/Context"
import { ConversationStore } from "./ConversationStore.js"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import { makeMemoryConversations } from "./internal/stores/memoryConversations.js"
import { makeMemoryStore } from "./internal/stores/memoryStore.js"
import { type PgOptions, redactUrl as redactPgUrl } from "./internal/stores/pgDb.js"
import { makePgConversations } from "./internal/stores/pgConversations.js"
import { makePgStore } from "./internal/stores/pgStore.js"
import { makeSqliteConversations } from "./internal/stores/sqliteConversations.js"
import type { SqliteOptions } from "./internal/stores/sqliteDb.js"
import { makeSqliteStore } from "./internal/stores/sqliteStore.js"

/** An input item as stored and listed by `input_items`: always with an `id`. @category models */
export type StoredItem = ToChatRequest.HistoryItem & { readonly id: string }

/** @category models */
export interface StoredResponse {
  readonly response: ResponseObject.Response
  /** This request's input items (not the chain's). */
  readonly input: ReadonlyArray<StoredItem>
}

/** Every item a record holds, its input then its output, that has an id (what `getItem` finds). @category models */
export const itemsOf = (record: StoredResponse): ReadonlyArray<StoredItem> =>
  // `?? []`: tolerate records written by hand or by older versions without one of the two lists.
  [...(record.input ?? []), ...(record.response.output ?? [])].filter(
    (item): item is StoredItem => typeof item.id === "string" && item.id !== ""
  )

/**
 * One event of a background response's stream as it was sent: its sequence number and its SSE text (the
 * `event:` and `data:` lines and the blank line), so that a replay sends the same bytes.
 * @category models
 */
export interface StoredEvent {
  readonly sequence: number
  readonly sse: string
}

/** The statuses of a response that is still being generated. @category models */
export const isRunning = (status: string | null | undefined): boolean => status === "in_progress" || status === "queued"

/** @category errors */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Who runs an in-progress record and its last heartbeat (docs/architecture.md#replicas): a stale record
 * belongs to a replica that died, and any replica marks it failed.
 * @category models
 */
export interface Lease {
  /** The replica id, drawn at each start. */
  readonly owner: string
  /** Epoch milliseconds. */
  readonly heartbeatAt: number
}

/** @category models */
export interface ResponseStoreService {
  /** Insert or replace. Resolves once the record is durable. An in-progress record carries its lease. */
  readonly put: (record: StoredResponse, lease?: Lease) => Effect.Effect<void, StoreError>
  /** Renews the heartbeat of every in-progress record `owner` holds. */
  readonly heartbeat: (owner: string, at: number) => Effect.Effect<void, StoreError>
  /**
   * Rewrites with `fail` every record still `queued`/`in_progress` whose heartbeat is older than
   * `staleBefore` (or that has none); returns their ids.
   */
  readonly failStale: (
    staleBefore: number,
    fail: (response: ResponseObject.Response) => ResponseObject.Response
  ) => Effect.Effect<ReadonlyArray<string>, StoreError>
  readonly get: (id: string) => Effect.Effect<Option.Option<StoredResponse>, StoreError>
  /**
   * An item by id from any stored response, its input or its output (the newest response holding it):
   * what `item_reference` resolves against, as on OpenAI — not only the `previous_response_id` chain.
   */
  readonly getItem: (id: string) => Effect.Effect<Option.Option<StoredItem>, StoreError>
  /** True when something was deleted. */
  readonly delete: (id: string) => Effect.Effect<boolean, StoreError>
  /** Ask the process that runs `id` to stop it (a flag in the shared store: cancel works across replicas). */
  readonly requestCancel: (id: string) => Effect.Effect<void, StoreError>
  readonly isCancelRequested: (id: string) => Effect.Effect<boolean, StoreError>
  /**
   * Calls `onCancel` (once) when a cancel of `id` is requested, here or through another replica; returns the
   * function that stops watching. PostgreSQL is notified (LISTEN/NOTIFY); SQLite polls its flag.
   */
  readonly watchCancel: (id: string, onCancel: () => void) => () => void
  /**
   * False while the store is known to be unreachable (a shared database that went away): requests that would
   * store are refused with 503 `store_unavailable` at once, `store: false` ones go on. Local stores: always true.
   */
  readonly available: () => boolean
  /**
   * Appends events of a background response (ascending sequence numbers; one already stored is kept as it is, so
   * a write retried after a failure is harmless). Deleting the response deletes them.
   */
  readonly appendEvents: (id: string, events: ReadonlyArray<StoredEvent>) => Effect.Effect<void, StoreError>
  /**
   * The events after sequence number `after` (-1: from the first), ascending, at most `limit` (default 1 000).
   * A store with notifications (PostgreSQL LISTEN/NOTIFY) can wake readers; the others are polled.
   */
  readonly readEvents: (
    id: string,
    after: number,
    limit?: number
  ) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreError>
  /**
   * Calls `onNew` when events of `id` were appended, here or on another replica (PostgreSQL: LISTEN/NOTIFY);
   * returns the unsubscribe. Absent: readers poll `readEvents` (SQLite).
   */
  readonly watchEvents?: (id: string, onNew: () => void) => () => void
  readonly close: Effect.Effect<void>
}

/**
 * The one interface every store implements: memory, SQLite (one host), PostgreSQL (replicas on any number of
 * hosts).
 * @category tags
 */
export class ResponseStore extends Context.Service<ResponseStore, ResponseStoreService>()(
  "@parlance/server/ResponseStore"
) {}

/**
 * In process memory, bounded (the oldest forgotten past `maxResponses`): tests, and `--store memory`. With the
 * conversations (ConversationStore) beside the responses.
 * @category layers
 */
export const layerMemory = (maxResponses?: number): Layer.Layer<ResponseStore | ConversationStore> =>
  Layer.succeedContext(
    Context.make(ResponseStore, makeMemoryStore(maxResponses)).pipe(
      Context.add(ConversationStore, makeMemoryConversations())
    )
  )

/**
 * `<dataDir>/parlance.db`, created and migrated on start, closed with the layer; the conversations
 * (ConversationStore) on the same connection.
 * @category layers
 */
export const layerSqlite = (
  dataDir: string,
  options?: SqliteOptions
): Layer.Layer<ResponseStore | ConversationStore, StoreError> =>
  Layer.effectContext(
    Effect.map(
      Effect.acquireRelease(makeSqliteStore(dataDir, options), (store) => store.close),
      (store) =>
        Context.make(ResponseStore, store).pipe(Context.add(ConversationStore, makeSqliteConversations(store.db)))
    )
  )

/**
 * A PostgreSQL database (`postgres://…`): connected, checked and migrated on start (under an advisory lock:
 * replicas may start together), the pool closed with the layer. What several hosts share.
 * @category layers
 */
export const layerPostgres = (options: PgOptions): Layer.Layer<ResponseStore | ConversationStore, StoreError> =>
  Layer.effectContext(
    Effect.map(makePgStore(options), (store) =>
      Context.make(ResponseStore, store).pipe(Context.add(ConversationStore, makePgConversations(store.db)))
    )
  )

/** A PostgreSQL URL with its password masked (banners, logs). @category utils */
export const redactUrl: (url: string) => string = redactPgUrl
