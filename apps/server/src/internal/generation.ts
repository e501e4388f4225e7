/**
 * One generation: the backend's chunks driven through the sequencer fold (drive.ts), with the concerns beside
 * it, each in its own module: persistence (persist.ts), cancel watching (cancelWatch.ts), the registry of
 * running generations (Generations), metrics, recording (recording.ts). Cancel, drain and a client gone all
 * end in exactly one terminal event. Streaming and non-streaming consume the same stream (DESIGN §3).
 */
import type { ResponseEvents, ResponseObject } from "@parlance/schema"
import { ResponsesParam, Sequencer, Sse } from "@parlance/translate"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as ApiError from "../ApiError.js"
import * as CancelWatch from "./cancelWatch.js"
import { drive } from "./drive.js"
import * as Persist from "./persist.js"
import type { Prepared } from "./prepare.js"
import { openFirst, pullFirst } from "./pullFirst.js"
import type { Sealer } from "./reasoningSeal.js"
import * as Recording from "./recording.js"
import type { Services } from "./services.js"

type Event = ResponseEvents.ResponseStreamEvent

export interface Generation {
  readonly responseId: string
  /** Every event, `response.created` first, exactly one terminal event last; one chunk per batch. Never fails. */
  readonly events: Stream.Stream<Event>
  /** The same events as SSE bytes: one buffer per batch, each event encoded once. */
  readonly sse: Stream.Stream<Uint8Array>
  /** Runs it to the end without streaming: the terminal event's Response (non-streaming requests). */
  readonly response: Effect.Effect<ResponseObject.Response | undefined>
}

const encoder = new TextEncoder()

/** What the response seals: its compaction summary, or its reasoning when the request includes it. */
const sealing = (sealer: Sealer, prepared: Prepared, tape: Recording.Tape | undefined): Pick<Sequencer.Context, "sealReasoning" | "sealCompaction"> => {
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
 * Starts the backend and waits for its first chunk, so that a backend that fails before producing anything
 * (refused, 5xx, 429, timeout, context too long, queue full) is an HTTP error with the right status.
 */
export const start = (s: Services, prepared: Prepared): Effect.Effect<Generation, ApiError.ApiError> =>
  Effect.gen(function* () {
    const startedAt = s.now()
    const responseId = s.config.ids("resp")
    const tape = Recording.make(s.recorder, prepared)
    // The clock's reading is kept for the recording, so that a replay reproduces `completed_at` exactly.
    let completedAt: number | undefined
    const ctx: Sequencer.Context = {
      responseId,
      createdAt: Math.floor(startedAt / 1000),
      clock: () => (completedAt = Math.floor(s.now() / 1000)),
      model: prepared.model,
      ids: tape === undefined ? s.config.ids : tape.ids(s.config.ids),
      echo: prepared.request,
      tools: prepared.plan.tools,
      reasoning: prepared.plan.reasoning,
      ...sealing(s.config.sealer, prepared, tape)
    }

    const request = prepared.plan.request
    const backend = yield* (s.backend.open === undefined ? pullFirst(s.backend.stream(request)) : openFirst(s.backend.open(request))).pipe(
      Effect.mapError((error) => ApiError.fromBackend(error, ResponsesParam.fromChat))
    )
    s.metrics.ttft((s.now() - startedAt) / 1000)

    const stored = prepared.request.store !== false
    const persistence = Persist.make(s.store, prepared.input, stored, () => ({ owner: s.replica.id, heartbeatAt: Date.now() }))
    const finished = yield* Deferred.make<ResponseObject.Response>()
    let stopped = false
    const stop = Effect.sync(() => void (stopped = true))

    // The inputs: the backend's batches, then exactly one ending (its end, its failure, or a stop).
    let outcome: Sequencer.Control | undefined
    let first: Chunk.Chunk<Sequencer.Input> | undefined = backend.first
    const ending = (control: Sequencer.Control) => Effect.succeed(Chunk.of<Sequencer.Input>((outcome = control)))
    const inputs = Effect.suspend((): Effect.Effect<Chunk.Chunk<Sequencer.Input>> => {
      if (stopped) return ending(Sequencer.aborted("The response was cancelled."))
      if (first !== undefined && Chunk.isNonEmpty(first)) {
        const batch = first
        first = undefined
        return Effect.succeed(batch)
      }
      return Effect.matchEffect(backend.pull, {
        onSuccess: (batch) => {
          if (tape !== undefined) for (const chunk of batch) tape.chunk(chunk)
          return Effect.succeed<Chunk.Chunk<Sequencer.Input>>(batch)
        },
        onFailure: (error) => {
          if (Option.isNone(error)) return ending(Sequencer.end)
          const { code, message } = ApiError.failureOf(error.value)
          return ending(Sequencer.failed(code, message))
        }
      })
    })
    if (tape !== undefined) for (const chunk of backend.first) tape.chunk(chunk)
    const driver = drive(ctx, inputs)

    let ended = false
    /** The terminal event's Response: counted, durable, and handed to whoever waits (cancel) before it leaves. */
    const end = (response: ResponseObject.Response) => {
      ended = true
      const usage = response.usage
      if (usage) s.metrics.tokens(usage.input_tokens, usage.output_tokens, usage.input_tokens_details.cached_tokens)
      return Effect.zipRight(persistence.end(response), Deferred.succeed(finished, response))
    }
    /** Per batch, not per event: the terminal event is always the last of its batch. */
    const onBatch = (batch: Chunk.Chunk<Event>): Effect.Effect<Chunk.Chunk<Event>> => {
      tape?.events(batch)
      const response = Chunk.isNonEmpty(batch) ? Sequencer.terminalResponse(Chunk.lastNonEmpty(batch)) : undefined
      return response === undefined ? Effect.succeed(batch) : Effect.as(end(response), batch)
    }

    const close = Effect.gen(function* () {
      s.metrics.streamClosed()
      if (!ended) {
        // The client went away: generation stops here, and the stored response says so.
        const gone = Sequencer.aborted("The client disconnected.")
        const closing = driver.finish(gone)
        tape?.events(closing)
        const last = closing[closing.length - 1]
        const response = last === undefined ? undefined : Sequencer.terminalResponse(last)
        if (response !== undefined) yield* end(response)
        outcome ??= gone
      }
      if (tape !== undefined) yield* tape.save({ backend: s.backend.kind, startedAt, ctx, completedAt, outcome })
    })

    /** For the life of the scope: registered, counted, watched for a cancel, its in-progress record written. */
    const running = Effect.gen(function* () {
      yield* s.generations.register(responseId, { stop, finished })
      s.metrics.streamOpened()
      // Scope.addFinalizer, not Effect.addFinalizer: no fiber-refs diff per request.
      const scope = yield* Effect.scope
      yield* Scope.addFinalizer(scope, close)
      // Runs first on the way out: the backend is released before the closing writes.
      yield* Scope.addFinalizer(scope, backend.release)
      if (stored) yield* CancelWatch.watch(s.store, responseId, stop)
      const created = driver.opening[0]
      if (created?.type === "response.created") yield* persistence.begin(created.response)
    })
    const step = Effect.flatMap(driver.next, onBatch)

    /** The one stream of this generation, each batch mapped by `f` (events as they are, or SSE bytes). */
    const run = <A>(f: (batch: Chunk.Chunk<Event>) => Chunk.Chunk<A>): Stream.Stream<A> =>
      Stream.unwrapScoped(Effect.as(running, Stream.repeatEffectChunkOption(Effect.map(step, f))))
    const events = run((batch) => batch)
    const sse = run((batch) => {
      let text = ""
      for (const event of batch) text += Sse.encodeEvent(event)
      tape?.sse(text, batch.length)
      return Chunk.of(encoder.encode(text))
    })
    // Non-streaming: the same steps in a plain loop, no stream around them (a stream's set-up costs more
    // than a small response's whole fold).
    const response = Effect.scoped(
      Effect.zipRight(
        running,
        Effect.suspend(() => {
          let last: ResponseObject.Response | undefined
          return step.pipe(
            Effect.tap((batch) => {
              const response = Chunk.isNonEmpty(batch) ? Sequencer.terminalResponse(Chunk.lastNonEmpty(batch)) : undefined
              if (response !== undefined) last = response
            }),
            Effect.forever,
            Effect.catchAll(() => Effect.succeed(last))
          )
        })
      )
    )
    return { responseId, events, sse, response }
  })
