/**
 * Persistence of one generation: the in-progress record beside the first events (for GET and cancel while it
 * streams), the final record before the terminal event leaves (durable first). The final write waits for the
 * first, so the final state always lands last. `store: false` writes nothing.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { Lease, ResponseStoreService, StoredItem } from "../ResponseStore.js"

export interface Persistence {
  /** False for `store: false`: nothing to run. */
  readonly enabled: boolean
  /** Starts the in-progress write and returns at once. */
  readonly begin: (response: ResponseObject.Response) => Effect.Effect<void>
  /** The final write; resolves once it is durable. */
  readonly end: (response: ResponseObject.Response) => Effect.Effect<void>
}

const none: Persistence = { enabled: false, begin: () => Effect.void, end: () => Effect.void }

/** `lease`: the in-progress record names its owner and first heartbeat (the Replica renews it). */
export const make = (store: ResponseStoreService, input: ReadonlyArray<StoredItem>, enabled: boolean, lease: () => Lease): Persistence => {
  if (!enabled) return none
  const put = (response: ResponseObject.Response, withLease?: Lease) =>
    store.put({ response, input }, withLease).pipe(Effect.catch((error) => Effect.logError("response store write failed", error)))
  let first: Fiber.Fiber<void> | undefined
  return {
    enabled: true,
    begin: (response) => Effect.map(Effect.forkDetach(put(response, lease())), (fiber) => void (first = fiber)),
    end: (response) => Effect.andThen(first === undefined ? Effect.void : Fiber.join(first), put(response))
  }
}
