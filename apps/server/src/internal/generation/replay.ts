/**
 * Replaying a background response's stream (`GET /v1/responses/{id}?stream=true&starting_after=N`): exactly the
 * events after N, the same bytes with the same sequence numbers, then live until the terminal event.
 * - Running here: from the in-memory log (eventLog.ts), woken as events are appended.
 * - Running on another replica, or finished: from the store, read again every `pollMs` while nothing new came
 *   (SQLite has no notifications). A record no longer running whose log lacks its terminal event belongs to a
 *   replica that died (the stale-lease recovery failed it): the stream ends with that record's `response.failed`.
 * Closing the connection stops only the reading: the generation goes on.
 */
import type { ResponseObject } from "@parlance/schema"
import { Sse } from "@parlance/translate"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Readable } from "node:stream"
import { setTimeout as sleep } from "node:timers/promises"
import { isRunning, type ResponseStoreService } from "../../ResponseStore.js"
import { type EventLog, isTerminal } from "./eventLog.js"

/** How often a reader without notifications reads the store again. */
export const pollMs = 100
/** How long a reader waits for the terminal event of a record that has ended (its owner writes it just after). */
const settleMs = 2_000

/** Pulls text as the client takes it; `pull` resolves to undefined at the end. */
const readable = (pull: () => Promise<string | undefined>, onClose: () => void): Readable => {
  let closed = false
  return new Readable({
    read() {
      pull().then(
        (text) => {
          if (closed) return
          this.push(text === undefined ? null : Buffer.from(text, "utf8"))
        },
        (error) => this.destroy(error)
      )
    },
    destroy(error, callback) {
      closed = true
      onClose()
      callback(error)
    }
  })
}

/** From the log of a generation running here. */
export const fromLog = (log: EventLog, after: number): Readable => {
  let cursor = after
  let closed = false
  const pull = async (): Promise<string | undefined> => {
    for (;;) {
      const { text, last, done } = log.since(cursor)
      if (text !== "") {
        cursor = last
        return text
      }
      if (done || closed) return undefined
      await log.changed()
    }
  }
  return readable(pull, () => (closed = true))
}

/** From the store: the events after `after`, then polled until the terminal event. */
export const fromStore = (
  store: ResponseStoreService,
  context: Context.Context<never>,
  id: string,
  after: number
): Readable => {
  const run = Effect.runPromiseWith(context)
  let cursor = after
  let closed = false
  let ended = false
  let settleUntil: number | undefined
  // Subscribed before the first read: an append between the read and the wait is not missed.
  const wake = wakeOn(store, id)
  const pull = async (): Promise<string | undefined> => {
    while (!ended && !closed) {
      const events = await run(store.readEvents(id, cursor))
      if (events.length > 0) {
        let text = ""
        for (const event of events) {
          text += event.sse
          cursor = event.sequence
          if (isTerminal(event.sse)) ended = true
        }
        return text
      }
      const record = await run(store.get(id))
      const response = Option.isSome(record) ? record.value.response : undefined
      if (response === undefined || !isRunning(response.status)) {
        // Already at the terminal event (starting_after named it) or past the log's end: nothing more to send.
        const previous = cursor < 0 ? [] : await run(store.readEvents(id, cursor - 1, 1))
        if (cursor >= 0 && (previous[0] === undefined || isTerminal(previous[0].sse))) return void (ended = true)
        const now = Date.now()
        settleUntil ??= now + settleMs
        if (now >= settleUntil) {
          ended = true
          return response === undefined ? undefined : Sse.encodeEvent(lost(response, cursor + 1))
        }
      }
      await (wake === undefined ? sleep(pollMs) : wake.next())
    }
    return undefined
  }
  return readable(pull, () => {
    closed = true
    wake?.close()
  })
}

/**
 * With a store that notifies (`watchEvents`): the next wait ends at the next append (or after `safetyMs`, in
 * case a notification was lost), so a reader on another replica follows without polling.
 */
const wakeOn = (store: ResponseStoreService, id: string) => {
  if (store.watchEvents === undefined) return undefined
  let signalled = false
  let resolve: (() => void) | undefined
  const unsubscribe = store.watchEvents(id, () => {
    signalled = true
    resolve?.()
  })
  return {
    next: () =>
      new Promise<void>((done) => {
        if (signalled) {
          signalled = false
          return done()
        }
        const timer = setTimeout(() => done(), safetyMs)
        resolve = () => {
          clearTimeout(timer)
          signalled = false
          resolve = undefined
          done()
        }
      }),
    close: unsubscribe
  }
}

const safetyMs = 1_000

/** The terminal event of a response whose log ended without one (its replica died mid-generation). */
const lost = (response: ResponseObject.Response, sequence: number) =>
  ({ type: "response.failed", sequence_number: sequence, response }) as const
