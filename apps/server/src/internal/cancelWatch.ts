/**
 * Cancel watching: a cancel may come through another replica sharing the store, as a flag it leaves there.
 * While the generation runs, the flag is read every 250 ms; when set, `stop` completes. Stores have no
 * notifications, so this is the one poll left, and only for stored responses.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { ResponseStoreService } from "../ResponseStore.js"

export const watch = (store: ResponseStoreService, id: string, stop: Effect.Effect<void>): Effect.Effect<void, never, Scope.Scope> =>
  store.isCancelRequested(id).pipe(
    Effect.flatMap((requested) => (requested ? stop : Effect.void)),
    Effect.catchAll(() => Effect.void),
    Effect.repeat(Schedule.spaced("250 millis")),
    Effect.forkScoped,
    Effect.asVoid
  )
