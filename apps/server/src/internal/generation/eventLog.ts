/**
 * A background response's event log (docs/architecture.md#background-responses): every event as the SSE text it
 * was sent as, by sequence number, in memory while the generation runs here — readers attach to it and follow
 * it live — and written behind to the store, so that a reader on any replica can replay it.
 *
 * Writing never sits on the path to the first event: `append` is synchronous (encode, keep, wake readers); the
 * store writes run behind it — the first once the sockets were written (a macrotask later: a local SQLite write
 * blocks the event loop while it commits), then at most one every `writeEveryMs`, each taking every event
 * appended meanwhile (one INSERT per burst, not per token). A store write that fails is logged and retried with
 * the next batch; the events stay in memory.
 */
import type { ResponseEvents } from "@parlance/schema"
import { Sse } from "@parlance/translate"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { setTimeout as sleep } from "node:timers/promises"
import type { ResponseStoreService, StoredEvent } from "../../ResponseStore.js"

type Event = ResponseEvents.ResponseStreamEvent

/** The spacing of store writes: what a reader on another replica may lag behind, at most, besides its poll. */
export const writeEveryMs = 25

/** The terminal events: a stream that holds one is complete. */
export const isTerminal = (sse: string): boolean =>
  sse.startsWith("event: response.completed\n") ||
  sse.startsWith("event: response.failed\n") ||
  sse.startsWith("event: response.incomplete\n")

export class EventLog {
  private readonly texts: Array<string> = []
  private ended = false
  private waiters: Array<() => void> = []
  /** Appended, not yet handed to the store. */
  private pending: Array<StoredEvent> = []
  private writing: Promise<void> | undefined

  constructor(
    readonly id: string,
    private readonly store: ResponseStoreService,
    private readonly context: Context.Context<never>
  ) {}

  /** Keeps a batch of events (encoded once each) and wakes the readers; the store write runs behind. */
  append(events: ReadonlyArray<Event>): void {
    for (const event of events) {
      const sse = Sse.encodeEvent(event)
      this.texts[event.sequence_number] = sse
      this.pending.push({ sequence: event.sequence_number, sse })
    }
    this.wake()
    this.writing ??= this.writeBehind()
  }

  /** No more events will come (the terminal event was appended, or the generation ended without one). */
  end(): void {
    this.ended = true
    this.wake()
  }

  /** Resolves once every event appended so far is in the store (or its last write failed). */
  flushed(): Promise<void> {
    return this.writing ?? Promise.resolve()
  }

  /** The SSE text of the events after `after`, the sequence number of the last one, and whether the log is complete. */
  since(after: number): { readonly text: string; readonly last: number; readonly done: boolean } {
    let text = ""
    let last = after
    for (let i = after + 1; i < this.texts.length; i++) {
      const sse = this.texts[i]
      if (sse === undefined) break
      text += sse
      last = i
    }
    // Complete once ended and read to its end (or asked for what lies past its end).
    return { text, last, done: this.ended && last >= this.texts.length - 1 }
  }

  /** Resolves when something was appended, or the log ended. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /** One store write at a time, each taking every event appended meanwhile; clears itself when caught up. */
  private async writeBehind(): Promise<void> {
    const run = Effect.runPromiseWith(this.context)
    // The batch that started the write goes to the client before the store sees it.
    await new Promise((resolve) => setImmediate(resolve))
    let first = true
    while (this.pending.length > 0) {
      if (!first) await sleep(writeEveryMs)
      first = false
      const batch = this.pending
      this.pending = []
      const ok = await run(
        this.store.appendEvents(this.id, batch).pipe(
          Effect.as(true),
          Effect.catch(() => Effect.succeed(false))
        )
      )
      if (!ok) {
        // Kept for the next write (the store logged why); given up once nothing new comes to carry it.
        this.pending = [...batch, ...this.pending]
        if (this.pending.length === batch.length) break
      }
    }
    this.writing = undefined
  }
}
