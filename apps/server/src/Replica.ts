/**
 * `Replica`: this process as one replica of the store (docs/architecture.md#replicas). It draws an id per start, keeps
 * a heartbeat on the in-progress records it owns, and fails the ones whose owner stopped beating — a replica
 * killed mid-generation (kill -9, a crash, a lost host) leaves nothing `in_progress` for longer than about
 * `staleAfter + heartbeat`. The first sweep runs before the server listens.
 * @since 0.1.0
 */
import type { ResponseObject } from "@parlance/schema"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomBytes } from "node:crypto"
import { ResponseStore } from "./ResponseStore.js"

/** @category models */
export interface ReplicaService {
  /** Drawn at each start: the owner named on this replica's in-progress records. */
  readonly id: string
}

/** @category tags */
export class Replica extends Context.Service<Replica, ReplicaService>()("@parlance/server/Replica") {}

/** @category models */
export interface ReplicaOptions {
  /** How often the heartbeat is renewed and the store swept (ms). Default 5 000. */
  readonly heartbeatMs?: number
  /** A heartbeat older than this marks its records failed (ms). Default 15 000. */
  readonly staleAfterMs?: number
}

export const interruptedMessage = "The server stopped during generation."

/** A record whose generation died with its replica: failed, `server_error`, its open items incomplete. */
export const failInterrupted = (response: ResponseObject.Response): ResponseObject.Response => ({
  ...response,
  status: "failed",
  error: { code: "server_error", message: interruptedMessage },
  output: response.output.map((item) =>
    "status" in item && (item.status === "in_progress" || item.status === undefined)
      ? { ...item, status: "incomplete" }
      : item
  ) as typeof response.output
})

/** @category layers */
export const layer = (options: ReplicaOptions = {}): Layer.Layer<Replica, never, ResponseStore> =>
  Layer.effect(
    Replica,
    Effect.gen(function* () {
      const store = yield* ResponseStore
      const id = `replica_${randomBytes(9).toString("hex")}`
      const heartbeatMs = options.heartbeatMs ?? 5_000
      const staleAfterMs = options.staleAfterMs ?? 15_000
      const sweep = Effect.gen(function* () {
        const now = Date.now()
        yield* store.heartbeat(id, now)
        const failed = yield* store.failStale(now - staleAfterMs, failInterrupted)
        if (failed.length > 0)
          yield* Effect.logWarning(`marked ${failed.length} interrupted response(s) failed: ${failed.join(", ")}`)
      }).pipe(Effect.catch((error) => Effect.logError("replica heartbeat/sweep failed", error)))
      yield* sweep
      yield* Effect.forkScoped(Effect.forever(Effect.delay(sweep, Duration.millis(heartbeatMs))))
      return { id }
    })
  )
