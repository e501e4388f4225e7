/**
 * `watchCancel` for stores without notifications (SQLite): the flag is read every 250 ms until it is set or
 * the watch stops. A timer, not a fiber: it costs nothing between reads. PostgreSQL is told instead
 * (LISTEN/NOTIFY, pgStore.ts); the memory store is one process and calls back at once.
 */
import * as Effect from "effect/Effect"
import type { StoreError } from "../../ResponseStore.js"

const everyMs = 250

/** Starts polling; returns the function that stops it. `onCancel` runs at most once. */
export const pollCancel =
  (isCancelRequested: (id: string) => Effect.Effect<boolean, StoreError>) =>
  (id: string, onCancel: () => void): (() => void) => {
    const read = isCancelRequested(id).pipe(Effect.orElseSucceed(() => false))
    let reading = false
    const timer = setInterval(() => {
      if (reading) return
      reading = true
      Effect.runPromise(read).then(
        (requested) => {
          reading = false
          if (requested) {
            clearInterval(timer)
            onCancel()
          }
        },
        () => (reading = false)
      )
    }, everyMs)
    timer.unref()
    return () => clearInterval(timer)
  }
