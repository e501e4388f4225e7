/**
 * One generation: backend chunks → the sequencer fold → Responses events, with the store written before the
 * terminal event leaves, cancel / drain / disconnect turned into exactly one terminal event, metrics and
 * recording on the side. Streaming and non-streaming both consume the stream built here (DESIGN §3).
 */
import type { ChatBackend, ChatCompletions, ResponseEvents, ResponseObject } from "@parlance/schema"
import { Ids, Sequencer, Sse } from "@parlance/translate"
import type * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as ApiError from "../ApiError.js"
import type { Metrics } from "../Metrics.js"
import * as Recorder from "../Recorder.js"
import type { ResponseStoreService } from "../ResponseStore.js"
import type { Prepared } from "./prepare.js"
import { pullFirst } from "./pullFirst.js"

type Event = ResponseEvents.ResponseStreamEvent

export interface GenerationDeps {
  readonly backend: ChatBackend.ChatBackend
  readonly store: ResponseStoreService
  readonly metrics: Metrics
  readonly inflight: Map<string, InFlight>
  readonly ids: Ids.IdGenerator
  readonly recordDir: string | undefined
  readonly now: () => number
}

/** A generation running in this process: how to stop it, and its final Response once it has one. */
export interface InFlight {
  readonly abort: Deferred.Deferred<void>
  readonly finished: Deferred.Deferred<ResponseObject.Response>
}

export interface Generation {
  readonly responseId: string
  /** Every event, `response.created` first, exactly one terminal event last. Never fails. */
  readonly events: Stream.Stream<Event>
}

/**
 * Starts the backend and waits for its first chunk, so that a backend that fails before producing anything
 * (refused, 5xx, 429, timeout, context too long, queue full) is an HTTP error with the right status.
 */
export const start = (deps: GenerationDeps, prepared: Prepared): Effect.Effect<Generation, ApiError.ApiError> =>
  Effect.gen(function* () {
    const startedAt = deps.now()
    const responseId = deps.ids("resp")
    const drawn: Array<string> = []
    const ids: Ids.IdGenerator = (prefix) => {
      const id = deps.ids(prefix)
      drawn.push(id)
      return id
    }
    // The clock's reading is kept for the recording, so that a replay reproduces `completed_at` exactly.
    let completedAt: number | undefined
    const ctx: Sequencer.Context = {
      responseId,
      createdAt: Math.floor(startedAt / 1000),
      clock: () => (completedAt = Math.floor(deps.now() / 1000)),
      model: prepared.model,
      ids,
      echo: prepared.request,
      tools: prepared.plan.tools,
      reasoning: prepared.plan.reasoning
    }
    const store = prepared.request.store !== false

    const backendChunks = yield* pullFirst(deps.backend.stream(prepared.plan.request)).pipe(Effect.mapError(ApiError.fromBackend))
    deps.metrics.ttft((deps.now() - startedAt) / 1000)
    const chunks: Array<ChatCompletions.ChatCompletionChunk> = []
    const record = deps.recordDir !== undefined

    const abort = yield* Deferred.make<void>()
    let outcome: Sequencer.Control | undefined
    const inputs: Stream.Stream<Sequencer.Input> = backendChunks.pipe(
      Stream.map((chunk) => {
        if (record) chunks.push(chunk)
        return chunk
      }),
      Stream.catchAll((error) => Stream.sync(() => {
        const { code, message } = ApiError.failureOf(error)
        return (outcome = Sequencer.failed(code, message))
      })),
      Stream.haltWhenDeferred(abort),
      Stream.concat(
        Stream.fromEffect(
          Deferred.isDone(abort).pipe(
            Effect.map((aborted) => (outcome ??= aborted ? Sequencer.aborted("The response was cancelled.") : Sequencer.end))
          )
        )
      )
    )

    let state = Sequencer.initial(ctx)
    const fold = (input: Sequencer.Input): ReadonlyArray<Event> => {
      const [next, events] = Sequencer.step(state, input)
      state = next
      return events
    }
    const [started, startEvents] = Sequencer.start(state)
    state = started

    const persist = (response: ResponseObject.Response) =>
      store
        ? deps.store.put({ response, input: prepared.input }).pipe(
            Effect.catchAll((error) => Effect.logError("response store write failed", error))
          )
        : Effect.void

    const emitted: Array<Event> = []
    let finished = false
    /** Per batch of events, not per event: only the batch holding the terminal event needs IO. */
    const onEvents = (batch: Chunk.Chunk<Event>) => {
      let response: ResponseObject.Response | undefined
      for (const event of batch) {
        if (record) emitted.push(event)
        response ??= Sequencer.terminalResponse(event)
      }
      if (response === undefined) return Effect.succeed(batch)
      finished = true
      const usage = response.usage
      if (usage) deps.metrics.tokens(usage.input_tokens, usage.output_tokens, usage.input_tokens_details.cached_tokens)
      // Durable before the terminal event is sent.
      return Fiber.join(initialWrite).pipe(
        Effect.zipRight(persist(response)),
        Effect.zipRight(Deferred.succeed(finishedResponse, response)),
        Effect.as(batch)
      )
    }

    // A cancel may come through another replica: it leaves a flag in the shared store.
    const watchCancel = store
      ? deps.store.isCancelRequested(responseId).pipe(
          Effect.flatMap((requested) => (requested ? Deferred.succeed(abort, undefined) : Effect.void)),
          Effect.catchAll(() => Effect.void),
          Effect.repeat(Schedule.spaced(Duration.millis(250))),
          Effect.forkDaemon
        )
      : Effect.succeed(undefined)

    const finishedResponse = yield* Deferred.make<ResponseObject.Response>()
    deps.inflight.set(responseId, { abort, finished: finishedResponse })
    deps.metrics.activeStreams++
    // The in-progress record (for GET and cancel while streaming) is written beside the first events, not
    // before them; the terminal write waits for it, so the final state always lands last.
    const created = startEvents[0]
    const initialWrite = yield* Effect.forkDaemon(created?.type === "response.created" ? persist(created.response) : Effect.void)

    const cleanup = (watcher: Fiber.RuntimeFiber<unknown, unknown> | undefined) =>
      Effect.gen(function* () {
        deps.inflight.delete(responseId)
        deps.metrics.activeStreams--
        if (watcher !== undefined) yield* Fiber.interrupt(watcher)
        if (!finished) {
          // The client went away: generation stops here, and the stored response says so.
          yield* Fiber.join(initialWrite)
          const closing = fold(Sequencer.aborted("The client disconnected."))
          for (const event of closing) {
            emitted.push(event)
            const response = Sequencer.terminalResponse(event)
            if (response) {
              yield* persist(response)
              yield* Deferred.succeed(finishedResponse, response)
            }
          }
          outcome ??= Sequencer.aborted("The client disconnected.")
        }
        if (record) {
          Recorder.write(
            deps.recordDir!,
            {
              name: responseId,
              description: `Recorded ${new Date(startedAt).toISOString()} from the ${deps.backend.kind} backend.`,
              request: prepared.request,
              chatRequest: prepared.plan.request,
              context: {
                responseId,
                createdAt: ctx.createdAt,
                completedAt: completedAt ?? ctx.createdAt,
                model: ctx.model,
                reasoning: prepared.plan.reasoning,
                tools: Object.fromEntries(prepared.plan.tools),
                ids: drawn,
                echo: prepared.request
              },
              chunks,
              ...(outcome !== undefined && outcome._tag !== "End" ? { outcome } : {}),
              events: emitted
            },
            emitted.map(Sse.encodeEvent).join("")
          )
        }
      })

    const events = Stream.unwrapScoped(
      Effect.gen(function* () {
        const watcher = yield* watchCancel
        yield* Effect.addFinalizer(() => cleanup(watcher))
        return Stream.concat(
          Stream.fromIterable(startEvents),
          inputs.pipe(Stream.mapConcat(fold))
        ).pipe(Stream.mapChunksEffect(onEvents))
      })
    )
    return { responseId, events }
  })
