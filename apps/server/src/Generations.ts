/**
 * `Generations`: the registry of generations running in this process (`/v1/responses` and
 * `/v1/chat/completions` alike) — how to stop each one (cancel), its
 * final Response once it has one, and the graceful drain on shutdown: new generations are refused, running
 * ones get `drainTimeout` to finish, then are stopped (each still ends with its terminal event).
 * @since 0.1.0
 */
import type { ResponseObject } from "@parlance/schema"
import * as Context from "effect/Context"
import type * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import type { EventLog } from "./internal/generation/eventLog.js"

/** A generation running here. @category models */
export interface Running {
  /** Stops the generation (cancel, drain): it ends with its terminal event at the next batch. */
  readonly stop: Effect.Effect<void>
  /** A `/v1/responses` generation's final Response (cancel waits for it); none for a chat completion. */
  readonly finished?: Deferred.Deferred<ResponseObject.Response>
  /** A background response's event log: a resumed stream attaches to it while it runs here. */
  readonly log?: EventLog
}

/** @category models */
export interface GenerationsService {
  /** Registers `id` until the returned function is called (a plain callback: no scope on the hot path). */
  readonly add: (id: string, running: Running) => () => void
  readonly get: (id: string) => Running | undefined
  /** True once the drain began: new generations are refused (503). */
  readonly isDraining: () => boolean
  readonly size: () => number
  /** Refuse new work, wait for the running generations (up to `timeout`), then stop what is left. */
  readonly drain: (timeout: Duration.Input) => Effect.Effect<void>
}

/** @category tags */
export class Generations extends Context.Service<Generations, GenerationsService>()("@parlance/server/Generations") {}

/** @category constructors */
export const make: Effect.Effect<GenerationsService> = Effect.gen(function* () {
  const running = new Map<string, Running>()
  // Open exactly while nothing runs: the drain waits on it instead of polling.
  const idle = yield* Latch.make(true)
  let draining = false

  const add = (id: string, entry: Running) => {
    running.set(id, entry)
    if (running.size === 1) idle.closeUnsafe()
    let removed = false
    return () => {
      if (removed) return
      removed = true
      running.delete(id)
      if (running.size === 0) idle.openUnsafe()
    }
  }

  const stopAll = Effect.suspend(() => Effect.forEach(running.values(), (r) => r.stop, { discard: true }))

  // A drain runs as a finalizer, uninterruptible: the wait is made interruptible so that its timeout can end it.
  const idleWithin = (timeout: Duration.Input) => idle.await.pipe(Effect.interruptible, Effect.timeoutOption(timeout))
  const drain = (timeout: Duration.Input) =>
    Effect.gen(function* () {
      draining = true
      yield* idleWithin(timeout)
      // Past the grace period: stop what is left; each stream still ends with its terminal event.
      yield* stopAll
      yield* idleWithin(Duration.seconds(5))
    })

  return { add, get: (id) => running.get(id), isDraining: () => draining, size: () => running.size, drain }
})

/** @category layers */
export const layer: Layer.Layer<Generations> = Layer.effect(Generations, make)
