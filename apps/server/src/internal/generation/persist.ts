/**
 * Persistence of one generation: the in-progress record beside the first events (for GET and cancel while it
 * streams), the final record before the terminal event leaves (durable first). The final write waits for the
 * first, so the final state always lands last. `store: false` writes nothing.
 *
 * A final write that fails (the store's own bounded retries spent) must not leave the client believing in a
 * response that was never stored: the response ends `failed` (`server_error`) instead, and that record is written
 * once more (retried in the background until the store takes it) so that a GET shows `failed` rather than a stale
 * `in_progress`.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type { Lease, ResponseStoreService, StoredItem, StoreError } from "../../ResponseStore.js"

export interface Persistence {
  /** False for `store: false`: nothing to run. */
  readonly enabled: boolean
  /** Starts the in-progress write and returns at once. */
  readonly begin: (response: ResponseObject.Response) => Effect.Effect<void>
  /** A later in-progress state (a queued response picked up), written after the ones before it; returns at once. */
  readonly progress: (response: ResponseObject.Response) => Effect.Effect<void>
  /**
   * The final write; resolves once it is durable, with the Response to send: `response` itself, or its `failed`
   * form when it could not be stored.
   */
  readonly end: (response: ResponseObject.Response) => Effect.Effect<ResponseObject.Response>
}

const none: Persistence = { enabled: false, begin: () => Effect.void, progress: () => Effect.void, end: Effect.succeed }

/** What a response becomes when its final record could not be stored. */
export const unstored = (response: ResponseObject.Response): ResponseObject.Response => ({
  ...response,
  status: "failed",
  completed_at: null,
  incomplete_details: null,
  error: { code: "server_error", message: "The response could not be stored; it was not saved." }
})

/**
 * `lease`: the in-progress record names its owner and first heartbeat (the Replica renews it). `afterFinal`: a
 * write that belongs to the final one (the turn appended to its conversation), made durable before the terminal
 * event leaves; if it fails, the response ends failed like an unstored one.
 */
export const make = (
  store: ResponseStoreService,
  input: ReadonlyArray<StoredItem>,
  enabled: boolean,
  lease: () => Lease,
  afterFinal?: (response: ResponseObject.Response) => Effect.Effect<void, StoreError>,
  /** Wraps each write (a span per store write when tracing). */
  traced: <A, E>(write: Effect.Effect<A, E>) => Effect.Effect<A, E> = (write) => write
): Persistence => {
  if (!enabled) return none
  // A failed write is logged once, with its cause, by the store itself (sqliteDb.ts); here only what it means.
  const put = (response: ResponseObject.Response, withLease?: Lease) =>
    traced(store.put({ response, input }, withLease))
  // The last in-progress write: each write waits for the one before, so the states land in order.
  let first: Fiber.Fiber<void> | undefined
  const after = () => (first === undefined ? Effect.void : Fiber.join(first))
  const write = (response: ResponseObject.Response) =>
    Effect.map(
      Effect.forkDetach(Effect.andThen(after(), Effect.ignore(put(response, lease())))),
      (fiber) => void (first = fiber)
    )
  return {
    enabled: true,
    begin: write,
    progress: write,
    end: (response) =>
      Effect.andThen(after(), put(response)).pipe(
        Effect.andThen(afterFinal === undefined ? Effect.void : afterFinal(response)),
        Effect.as(response),
        Effect.catch(() => {
          const failed = unstored(response)
          // The `failed` record is retried in the background (a database that went away and comes back):
          // else the in-progress record, its lease renewed by this live replica, would stay `in_progress`.
          const keepTrying = put(failed).pipe(
            Effect.retry({ schedule: Schedule.spaced(Duration.seconds(1)), times: 600 }),
            Effect.ignore
          )
          return Effect.logError(`response ${response.id} could not be stored: it ends failed`).pipe(
            Effect.andThen(Effect.forkDetach(keepTrying)),
            Effect.as(failed)
          )
        })
      )
  }
}
