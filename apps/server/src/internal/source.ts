/**
 * A Source: a completion read batch by batch through plain promises (Backend.Source). The generation's hot
 * path reads it; an Effect Stream (the engine, any ChatBackend) becomes one through its pull, and a Source
 * becomes a Stream again for callers that want one.
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
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
  failed(
    new ChatBackend.BackendError({
      reason: "internal",
      message: "The generation was stopped.",
      code: "released",
      param: null
    })
  )

/**
 * A stream's pull as a Source. A read runs the pull as a fiber (with the context of whoever opened it);
 * `release` interrupts a pending read and closes the stream's scope, which frees the backend.
 */
export const fromStream = (
  stream: Stream.Stream<ChatCompletions.ChatCompletionChunk, ChatBackend.BackendError>
): Effect.Effect<Source> =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const scope = yield* Scope.make()
    const pull = yield* Scope.provide(Stream.toPull(stream), scope)
    const read = Effect.match(pull, {
      onSuccess: (batch): Batch => chunks(batch),
      onFailure: (error): Batch => (Cause.isDone(error) ? end : failed(error))
    })
    let final: Batch | undefined
    let pending: Fiber.Fiber<Batch> | undefined
    let isReleased = false
    const next = (): Promise<Batch> => {
      if (final !== undefined) return Promise.resolve(final)
      return new Promise((resolve) => {
        const fiber = runFork(read)
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
      runFork(
        Effect.andThen(reading === undefined ? Effect.void : Fiber.interrupt(reading), Scope.close(scope, Exit.void))
      )
    }
    return { next, release }
  })

/** The next batch as an Effect; a waiter who leaves (interruption) releases the source. */
export const read = (source: Source): Effect.Effect<Batch> =>
  Effect.callback<Batch>((resume) => {
    source.next().then((batch) => resume(Effect.succeed(batch)))
    return Effect.sync(() => source.release())
  })

/** An open source and its first batch, which holds chunks or the end (never a failure). */
export interface Opened {
  readonly source: Source
  readonly first: Exclude<Batch, { readonly _tag: "Failed" }>
}

/**
 * Opens a source and waits for its first batch, so that a backend that fails before producing anything fails
 * here (the server answers an HTTP error with the right status, not a stream that fails at once).
 */
export const openFirst = <E>(open: Effect.Effect<Source, E>): Effect.Effect<Opened, E | ChatBackend.BackendError> =>
  Effect.flatMap(open, (source) =>
    Effect.flatMap(read(source), (first): Effect.Effect<Opened, ChatBackend.BackendError> => {
      if (first._tag !== "Failed") return Effect.succeed({ source, first })
      source.release()
      return Effect.fail(first.error)
    })
  )

/** The source's next non-empty batch as a stream pull: its chunks, or done at the end, or the failure. */
const pullOf = (
  source: Source
): Effect.Effect<
  Arr.NonEmptyReadonlyArray<ChatCompletions.ChatCompletionChunk>,
  ChatBackend.BackendError | Cause.Done
> => {
  const pull: Effect.Effect<
    Arr.NonEmptyReadonlyArray<ChatCompletions.ChatCompletionChunk>,
    ChatBackend.BackendError | Cause.Done
  > = Effect.flatMap(read(source), (batch) =>
    batch._tag === "Chunks"
      ? Arr.isReadonlyArrayNonEmpty(batch.chunks)
        ? Effect.succeed(batch.chunks)
        : pull
      : batch._tag === "End"
        ? Cause.done()
        : Effect.fail(batch.error)
  )
  return pull
}

/** An opened source as a Stream again (its first batch, then the rest), released when the stream ends. */
export const toStream = (
  opened: Opened
): Stream.Stream<ChatCompletions.ChatCompletionChunk, ChatBackend.BackendError> =>
  Stream.concat(
    Stream.fromArray(opened.first._tag === "Chunks" ? opened.first.chunks : []),
    Stream.fromPull(Effect.succeed(pullOf(opened.source)))
  ).pipe(Stream.ensuring(Effect.sync(() => opened.source.release())))
