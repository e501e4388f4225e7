/**
 * A Source: a completion read batch by batch through plain promises (Backend.Source). The generation's hot
 * path reads it; an Effect Stream (the engine, any ChatBackend) becomes one through its pull, and a Source
 * becomes a Stream again for callers that want one.
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

type Chunks = ReadonlyArray<ChatCompletions.ChatCompletionChunk>

/** One read: chunks, or the end, or why it failed. After End or Failed, every read answers the same. */
export type Batch =
  | { readonly _tag: "Chunks"; readonly chunks: Chunks }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly error: ChatBackend.BackendError }

export interface Source {
  /** The next batch. Never rejects. */
  readonly next: () => Promise<Batch>
  /**
   * Frees what the completion holds now (an upstream request, an engine sequence): a pending `next` settles
   * (Failed, unless it had ended). Safe to call twice; a source read to its end is released all the same.
   */
  readonly release: () => void
}

export const end: Batch = { _tag: "End" }
export const chunks = (chunks: Chunks): Batch => ({ _tag: "Chunks", chunks })
export const failed = (error: ChatBackend.BackendError): Batch => ({ _tag: "Failed", error })

/** What a released source answers to a read it had pending. */
export const released = (): Batch =>
  failed(new ChatBackend.BackendError({ reason: "internal", message: "The generation was stopped.", code: "released", param: null }))

/**
 * A stream's pull as a Source. A read runs the pull as a fiber (on the runtime of whoever opened it);
 * `release` interrupts a pending read and closes the stream's scope, which frees the backend.
 */
export const fromStream = (stream: Stream.Stream<ChatCompletions.ChatCompletionChunk, ChatBackend.BackendError>): Effect.Effect<Source> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const scope = yield* Scope.make()
    const pull = yield* Stream.toPull(stream).pipe(Scope.extend(scope))
    const read = Effect.match(pull, {
      onSuccess: (batch): Batch => chunks(Chunk.toReadonlyArray(batch)),
      onFailure: (error): Batch => (Option.isNone(error) ? end : failed(error.value))
    })
    let final: Batch | undefined
    let pending: Fiber.RuntimeFiber<Batch> | undefined
    let isReleased = false
    const next = (): Promise<Batch> => {
      if (final !== undefined) return Promise.resolve(final)
      return new Promise((resolve) => {
        const fiber = Runtime.runFork(runtime)(read)
        pending = fiber
        fiber.addObserver((exit) => {
          pending = undefined
          const batch = Exit.isSuccess(exit) ? exit.value : (final ??= released())
          if (batch._tag !== "Chunks") final = batch
          resolve(batch)
        })
      })
    }
    const release = () => {
      if (isReleased) return
      isReleased = true
      final ??= released()
      const reading = pending
      Runtime.runFork(runtime)(Effect.zipRight(reading === undefined ? Effect.void : Fiber.interrupt(reading), Scope.close(scope, Exit.void)))
    }
    return { next, release }
  })

/** A Source (opened by `open`) as a Stream again, released when the stream ends. */
export const toStream = <E>(open: Effect.Effect<Source, E>): Stream.Stream<ChatCompletions.ChatCompletionChunk, E | ChatBackend.BackendError> =>
  Stream.unwrapScoped(
    Effect.map(Effect.acquireRelease(open, (source) => Effect.sync(() => source.release())), (source) =>
      Stream.repeatEffectChunkOption(
        Effect.flatMap(Effect.promise(() => source.next()), (batch) =>
          batch._tag === "Chunks"
            ? Effect.succeed(Chunk.unsafeFromArray(batch.chunks))
            : Effect.fail(batch._tag === "End" ? Option.none() : Option.some(batch.error))
        )
      )
    )
  )
