/**
 * Background responses (`background: true`; docs/architecture.md#background-responses): the generation belongs to
 * no request. A detached pump reads its events to the end (`Generation.events()`) into an event log (eventLog.ts)
 * whether or not anyone listens; the create call answers at once — the queued Response, or, with `stream: true`,
 * a reader of the log from its first event. A client that drops that stream stops only its reader; cancel,
 * the drain, or the end stop the generation. The stored record and the logged events serve GET (poll) and
 * GET ?stream=true (replay.ts) here and on every replica sharing the store.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import type { Readable } from "node:stream"
import * as ApiError from "../../ApiError.js"
import type { Services } from "../http/services.js"
import type { Prepared } from "../inputs/prepare.js"
import { EventLog } from "./eventLog.js"
import * as Generation from "./generation.js"
import { fromLog } from "./replay.js"

export interface Started {
  /** The Response as created (status `queued`): the non-streaming answer. */
  readonly response: ResponseObject.Response
  /** The stream from its first event, live until the terminal event (`stream: true`). */
  readonly stream: () => Readable
}

/** Starts a background response and its pump; answers once its opening events are logged. */
export const start = (s: Services, prepared: Prepared): Effect.Effect<Started, ApiError.ApiError> =>
  Effect.gen(function* () {
    let log: EventLog | undefined
    const generation = yield* Generation.start(s, prepared, {
      background: (id) => (log = new EventLog(id, s.store, s.context))
    })
    const events = generation.events()
    const opening = yield* Effect.promise(() => events.next())
    const created = opening?.[0]
    if (log === undefined || created?.type !== "response.created") return yield* Effect.fail(ApiError.internal())
    const logged = log
    logged.append(opening!)
    void pump(s, events, logged)
    return { response: created.response, stream: () => fromLog(logged, -1) }
  })

/** Reads the generation to its end into the log; nothing here stops it but the generation's own end. */
const pump = async (s: Services, events: Generation.EventReader, log: EventLog): Promise<void> => {
  try {
    for (;;) {
      const batch = await events.next()
      if (batch === undefined) break
      log.append(batch)
    }
  } catch (error) {
    await events.abandon().catch(() => undefined)
    Effect.runForkWith(s.context)(Effect.logError(`background response ${log.id} failed`, error))
  } finally {
    log.end()
  }
}
