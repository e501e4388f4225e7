/**
 * Persistence of one generation: the in-progress record beside the first events (for GET and cancel while it
 * streams), the final record before the terminal event leaves (durable first). The final write waits for the
 * first, so the final state always lands last. `store: false` writes nothing.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { ResponseStoreService, StoredItem } from "../ResponseStore.js"

export interface Persistence {
  /** Starts the in-progress write and returns at once. */
  readonly begin: (response: ResponseObject.Response) => Effect.Effect<void>
  /** The final write; resolves once it is durable. */
  readonly end: (response: ResponseObject.Response) => Effect.Effect<void>
}

const none: Persistence = { begin: () => Effect.void, end: () => Effect.void }

export const make = (store: ResponseStoreService, input: ReadonlyArray<StoredItem>, enabled: boolean): Persistence => {
  if (!enabled) return none
  const put = (response: ResponseObject.Response) =>
    store.put({ response, input }).pipe(Effect.catchAll((error) => Effect.logError("response store write failed", error)))
  let first: Fiber.Fiber<void> | undefined
  return {
    begin: (response) => Effect.map(Effect.forkDaemon(put(response)), (fiber) => void (first = fiber)),
    end: (response) => Effect.zipRight(first === undefined ? Effect.void : Fiber.join(first), put(response))
  }
}
