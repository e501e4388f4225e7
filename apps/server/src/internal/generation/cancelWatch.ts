/**
 * Cancel watching: a cancel may come through another replica sharing the store, as a flag it leaves there.
 * While the generation runs, the flag is read every 250 ms; when set, `stop` is called. Stores have no
 * notifications, so this is the one poll left, and only for stored responses. A timer, not a fiber: it
 * costs nothing between reads.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { ResponseStoreService } from "../../ResponseStore.js"

const everyMs = 250

/** Starts watching; returns the function that stops it. */
export const watch = (
  context: Context.Context<never>,
  store: ResponseStoreService,
  id: string,
  stop: () => void
): (() => void) => {
  const read = store.isCancelRequested(id).pipe(Effect.orElseSucceed(() => false))
  const run = Effect.runPromiseWith(context)
  let reading = false
  const timer = setInterval(() => {
    if (reading) return
    reading = true
    run(read).then(
      (requested) => {
        reading = false
        if (requested) stop()
      },
      () => (reading = false)
    )
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
