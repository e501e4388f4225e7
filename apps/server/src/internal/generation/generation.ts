/**
 * One generation: the backend's Source driven through the sequencer fold (drive.ts), with the concerns beside
 * it, each in its own module: persistence (persist.ts), cancel watching (cancelWatch.ts), the registry of
 * running generations (Generations), metrics, recording (recording.ts). Cancel, drain and a client gone all
 * end in exactly one terminal event. Streamed or not, it runs the same steps (docs/architecture.md#generations).
 *
 * The hot path is plain code: a step is one read of the Source, one fold, one encode, one write — no fiber,
 * scope or stream per batch. Effect is at the edges: opening the backend (an HTTP error if it fails before its
 * first batch), and the store and recorder writes, run with the app's context.
 */
import type { ResponseEvents, ResponseObject, Source } from "@parlance/schema"
import { Dialect, ResponsesParam, Sequencer, Sse } from "@parlance/translate"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
import { Readable } from "node:stream"
import * as ApiError from "../../ApiError.js"
import * as CancelWatch from "./cancelWatch.js"
import type { EventLog } from "./eventLog.js"
import { type Completion, openCompletion } from "./completion.js"
import { appendTurn } from "./conversationTurn.js"
import { drive, type Driver } from "./drive.js"
import * as Persist from "./persist.js"
import type { Prepared } from "../inputs/prepare.js"
import type { Sealer } from "./reasoningSeal.js"
import * as Recording from "./recording.js"
import * as Warm from "./warm.js"
import * as Traces from "./traces.js"
import type { Services } from "../http/services.js"

type Event = ResponseEvents.ResponseStreamEvent

export interface Generation {
  readonly responseId: string
  /**
   * The events as SSE bytes, `response.created` first and exactly one terminal event last: one buffer per
   * batch, each event encoded once, read as the client takes it (backpressure). Destroying it (a client gone)
   * ends the generation, and the stored response says so. Event names are `dialect`'s (OpenAI's by default).
   */
  readonly sse: (dialect?: Dialect.Dialect) => Readable
  /** Runs it to the end without streaming: the terminal event's Response (non-streaming requests). */
  readonly response: Effect.Effect<ResponseObject.Response | undefined>
  /**
   * The events batch by batch, as `sse` sends them, for other transports (WebSocket) and consumers (the
   * background pump). Use one of `sse`, `response`, `events`, once.
   */
  readonly events: () => EventReader
  /** The backend that serves it, when a router chose among several (the `x-parlance-backend` header). */
  readonly servedBy: string | undefined
}

/** Reads a generation's events: `response.created` first, exactly one terminal event last. */
export interface EventReader {
  /** The next batch (never empty); undefined after the batch that held the terminal event. */
  readonly next: () => Promise<ReadonlyArray<Event> | undefined>
  /** The reader went away before the end: the generation ends as a client gone (stored so). Idempotent. */
  readonly abandon: () => Promise<void>
}

/** Events as SSE text, each encoded once. */
const encode = (events: ReadonlyArray<Event>): string => {
  let text = ""
  for (const event of events) text += Sse.encodeEvent(event)
  return text
}

/**
 * `events` with its terminal event carrying `response` instead (same sequence number): a `response.failed` when
 * it could not be stored, else the same type (a router's mark in `metadata`).
 */
const withTerminal = (events: ReadonlyArray<Event>, response: ResponseObject.Response): ReadonlyArray<Event> => {
  const last = events[events.length - 1]!
  const type = response.status === "failed" ? "response.failed" : last.type
  return [...events.slice(0, -1), { type, sequence_number: last.sequence_number, response } as Event]
}

/** The response marked with the backend that served it, in `metadata.parlance` (a string, as metadata values are). */
const markServed = (response: ResponseObject.Response, servedBy: string | undefined): ResponseObject.Response =>
  servedBy === undefined ? response : { ...response, metadata: { ...response.metadata, parlance: servedBy } }

/** The Response of the terminal event that ends `events`, if it ends with one. */
const terminalOf = (events: ReadonlyArray<Event>): ResponseObject.Response | undefined => {
  const last = events[events.length - 1]
  return last === undefined ? undefined : Sequencer.terminalResponse(last)
}

/** What the response seals: its compaction summary, or its reasoning when the request includes it. */
const sealing = (
  sealer: Sealer,
  prepared: Prepared,
  tape: Recording.Tape | undefined
): Pick<Sequencer.Context, "sealReasoning" | "sealCompaction"> => {
  const kept = (kind: "reasoning" | "compaction") => {
    const seal = (text: string) => sealer.seal(kind, text)
    return tape === undefined ? seal : tape.seal(kind, seal)
  }
  return prepared.plan.compaction
    ? { sealCompaction: kept("compaction") }
    : prepared.request.include?.includes("reasoning.encrypted_content") === true
      ? { sealReasoning: kept("reasoning") }
      : {}
}

/**
 * Starts the backend and waits for its first batch, so that a backend that fails before producing anything
 * (refused, 5xx, 429, timeout, context too long, queue full) is an HTTP error with the right status. A request
 * the backend makes wait (every engine sequence busy) starts at once with `response.queued`; a background one
 * (`background`: its event log, found through the registry) starts at once, queued, without waiting at all.
 */
export const start = (
  s: Services,
  prepared: Prepared,
  options: {
    /** False (WebSocket `generate: false`): the prompt is evaluated, nothing is generated (warm.ts). */
    readonly generate?: boolean
    /** A background response: its events go to this log (background.ts). */
    readonly background?: (responseId: string) => EventLog
  } = {}
): Effect.Effect<Generation, ApiError.ApiError> =>
  Effect.gen(function* () {
    const startedAt = s.now()
    const responseId = s.config.ids("resp")
    const tape = Recording.make(s.recorder, prepared)
    const clock = () => Math.floor(s.now() / 1000)
    const ctx: Sequencer.Context = {
      responseId,
      createdAt: Math.floor(startedAt / 1000),
      // The clock's readings are kept for the recording, so that a replay reproduces `completed_at` exactly.
      clock: tape === undefined ? clock : tape.clock(clock),
      model: prepared.model,
      ids: tape === undefined ? s.config.ids : tape.ids(s.config.ids),
      echo: prepared.request,
      tools: prepared.plan.tools,
      reasoning: prepared.plan.reasoning,
      ...(prepared.compacted !== undefined ? { compacted: prepared.compacted } : {}),
      ...sealing(s.config.sealer, prepared, tape)
    }
    const toApi = (error: Parameters<typeof ApiError.fromBackend>[0]) =>
      ApiError.fromBackend(error, ResponsesParam.fromChat)
    const streaming = prepared.request.stream === true
    const queue = options.background !== undefined ? "detach" : "report"
    const opening = (
      options.generate === false
        ? openCompletion(s, Warm.request(prepared.plan.request), {
            streaming,
            startedAt,
            through: Warm.silence,
            queue
          })
        : openCompletion(s, prepared.plan.request, { streaming, startedAt, queue })
    ).pipe(Effect.mapError(toApi))
    // What needs no answer from the backend is made while it thinks: the fold's opening events, and for a
    // stream their SSE text, so that the first bytes leave as soon as the first batch is in.
    const eager = drive(ctx)
    const eagerText = streaming ? encode(eager.opening) : undefined
    const span = s.config.tracing ? yield* Traces.generationSpan(prepared, responseId) : undefined
    const completion = yield* span === undefined ? opening : Traces.opening(span, opening, s.now)
    if (span !== undefined) Traces.opened(span, (s.now() - startedAt) / 1000, completion.source.servedBy)
    const driver = completion.queued ? drive(ctx, true) : eager
    const openingText = completion.queued ? undefined : eagerText
    const log = options.background?.(responseId)
    const run = new Run(s, prepared, ctx, driver, openingText, completion, tape, startedAt, log, span)
    return {
      responseId,
      sse: (dialect = "openai") => run.readable(dialect),
      response: run.toEnd(),
      events: () => run.reader(),
      servedBy: completion.source.servedBy
    }
  })

/** One generation's steps and its concerns; `close` runs once, however it ended. */
class Run {
  private readonly persistence: Persist.Persistence
  private readonly finished = Deferred.makeUnsafe<ResponseObject.Response>()
  private readonly run: <A>(effect: Effect.Effect<A>) => Promise<A>
  private first: Source.Batch | undefined
  private opened = false
  private stopped = false
  private ended = false
  private closed = false
  private outcome: Sequencer.Control | undefined
  /** Queued, not yet picked up: the first batch with `response.in_progress` ends it. */
  private waiting: boolean
  private unwatch: () => void = () => undefined

  constructor(
    private readonly s: Services,
    prepared: Prepared,
    private readonly ctx: Sequencer.Context,
    private readonly driver: Driver,
    /** The opening events' SSE text, encoded before the backend answered (streaming only). */
    private openingText: string | undefined,
    private readonly completion: Completion,
    private readonly tape: Recording.Tape | undefined,
    private readonly startedAt: number,
    private readonly log: EventLog | undefined,
    private readonly span: Tracer.Span | undefined
  ) {
    // A queued completion's first batch is empty: its first read is the one that waits for the backend.
    this.first = completion.queued ? undefined : completion.first
    this.waiting = completion.queued
    this.run = Effect.runPromiseWith(s.context)
    const stored = prepared.request.store !== false
    // `input` is read only when stored: for `store: false` the stored items are never built.
    const conversation = prepared.conversation
    this.persistence = Persist.make(
      s.store,
      stored ? prepared.input : [],
      stored,
      () => ({ owner: s.replica.id, heartbeatAt: Date.now() }),
      conversation === undefined ? undefined : appendTurn(s.conversations, conversation.id, () => conversation.items),
      span === undefined ? undefined : Traces.storeWrite(span)
    )
  }

  /** Stops the generation (cancel, drain): it ends with its terminal event, at once. */
  private readonly stop = (): void => {
    this.stopped = true
    // A pending read settles now (also through a stalled upstream), and the next step ends the response.
    void this.completion.source.release()
  }

  /** For the life of the generation: registered, counted, watched for a cancel, its in-progress record written. */
  private open(): void {
    this.opened = true
    const id = this.ctx.responseId
    this.completion.register(id, {
      stop: Effect.sync(this.stop),
      finished: this.finished,
      ...(this.log !== undefined ? { log: this.log } : {})
    })
    if (this.persistence.enabled) this.unwatch = CancelWatch.watch(this.s.store, id, this.stop)
    const created = this.driver.opening[0]
    if (created?.type === "response.created" && this.persistence.enabled)
      Effect.runForkWith(this.s.context)(this.persistence.begin(created.response))
  }

  /** The opening events, once: the generation's concerns start with them. */
  private begin(): ReadonlyArray<Event> | undefined {
    if (this.opened) return undefined
    this.open()
    this.tape?.events(this.driver.opening)
    return this.driver.opening
  }

  /** The next batch of events, terminal event last (made durable before it is handed out); undefined once done. */
  async step(): Promise<ReadonlyArray<Event> | undefined> {
    if (this.closed || this.driver.done()) return undefined
    const opening = this.begin()
    if (opening !== undefined) return opening
    let events = this.driver.fold(await this.inputs())
    if (this.closed) return undefined
    // A queued response picked up: the stored record says `in_progress` too (GET while it runs).
    if (this.waiting) {
      const started = events.find((event) => event.type === "response.in_progress")
      if (started?.type === "response.in_progress") {
        this.waiting = false
        if (this.persistence.enabled) Effect.runForkWith(this.s.context)(this.persistence.progress(started.response))
      }
    }
    const response = terminalOf(events)
    if (response !== undefined) {
      const sent = await this.end(response)
      // The final record could not be stored: the terminal event becomes `response.failed` (persist.ts).
      if (sent !== response) events = withTerminal(events, sent)
    }
    this.tape?.events(events)
    return events
  }

  /** The Source's next batch as sequencer inputs; the last ends with exactly one control input. */
  private async inputs(): Promise<ReadonlyArray<Sequencer.Input>> {
    if (this.stopped) return [this.ending(Sequencer.aborted("The response was cancelled."))]
    let batch = this.first
    this.first = undefined
    batch ??= await this.completion.source.next()
    if (batch._tag === "Chunks") {
      if (this.tape !== undefined) for (const chunk of batch.chunks) this.tape.chunk(chunk)
      return batch.chunks
    }
    if (this.stopped) return [this.ending(Sequencer.aborted("The response was cancelled."))]
    if (batch._tag === "End") return [this.ending(Sequencer.end)]
    const { code, message } = ApiError.failureOf(batch.error)
    return [this.ending(Sequencer.failed(code, message))]
  }

  private ending(control: Sequencer.Control): Sequencer.Control {
    this.outcome = control
    return control
  }

  /**
   * The terminal event's Response: counted, durable, and handed to whoever waits (cancel) before it leaves.
   * Returns the Response to send: `response`, or its `failed` form when it could not be stored.
   */
  private async end(terminal: ResponseObject.Response): Promise<ResponseObject.Response> {
    this.ended = true
    const response = markServed(terminal, this.completion.source.servedBy)
    const usage = response.usage
    if (usage) this.completion.tokens(usage.input_tokens, usage.output_tokens, usage.input_tokens_details.cached_tokens)
    const sent = this.persistence.enabled ? await this.run(this.persistence.end(response)) : response
    Deferred.doneUnsafe(this.finished, Effect.succeed(sent))
    if (this.span !== undefined) Traces.ended(this.span, sent)
    return sent
  }

  /** Once, however it ended: the backend released first, then the closing writes. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.completion.release()
    this.unwatch()
    if (!this.ended && this.opened) {
      // The client went away: generation stops here, and the stored response says so.
      const gone = Sequencer.aborted("The client disconnected.")
      const closing = this.driver.finish(gone)
      this.tape?.events(closing)
      const response = terminalOf(closing)
      if (response !== undefined) await this.end(response)
      this.outcome ??= gone
    }
    const tape = this.tape
    if (tape !== undefined) {
      await this.run(
        tape.save({
          backend: this.s.backend.kind,
          startedAt: this.startedAt,
          ctx: this.ctx,
          outcome: this.outcome,
          chatRequest: this.completion.request
        })
      )
    }
    this.completion.unregister()
    if (this.span !== undefined) Traces.close(this.span, this.s.now())
  }

  /** Batch by batch for a caller that sends events itself; closed after the terminal batch or when abandoned. */
  reader(): EventReader {
    return {
      next: async () => {
        for (;;) {
          const events = await this.step()
          if (events === undefined) {
            await this.close()
            return undefined
          }
          if (events.length > 0) {
            if (this.driver.done()) await this.close()
            return events
          }
        }
      },
      abandon: () => this.close()
    }
  }

  /** Non-streaming: the same steps in a plain loop; the request's fiber interrupted is a client gone. */
  toEnd(): Effect.Effect<ResponseObject.Response | undefined> {
    return Effect.callback((resume) => {
      const loop = async () => {
        let final: ResponseObject.Response | undefined
        for (;;) {
          const events = await this.step()
          if (events === undefined) break
          final = terminalOf(events) ?? final
        }
        await this.close()
        return final
      }
      loop().then(
        (response) => resume(Effect.succeed(response)),
        (error) => resume(Effect.die(error))
      )
      return Effect.sync(() => void this.close())
    })
  }

  /**
   * Streaming: each step's events as one buffer, pulled as the response is written. The opening events are
   * in the buffer before the platform pipes it, so they leave with the headers, without a step first.
   */
  readable(dialect: Dialect.Dialect): Readable {
    /** One batch of events as one buffer, in the client's dialect, kept on the tape as sent. */
    const write = (
      stream: Readable,
      events: ReadonlyArray<Event>,
      text = Dialect.encodeBatch(events, dialect, this.driver.done())
    ) => {
      this.tape?.sse(text, events.length)
      stream.push(Buffer.from(text, "utf8"))
    }
    const pump = async (stream: Readable) => {
      for (;;) {
        const events = await this.step()
        if (events === undefined) return void stream.push(null)
        if (events.length === 0) continue
        write(stream, events)
        if (this.driver.done()) stream.push(null)
        return
      }
    }
    const stream = new Readable({
      read() {
        pump(this).catch((error) => this.destroy(error))
      },
      destroy: (error, callback) => {
        this.close().catch(() => undefined)
        callback(error)
      }
    })
    const opening = this.begin()
    if (opening !== undefined) {
      write(stream, opening, this.openingText)
      this.openingText = undefined
    }
    return stream
  }
}
