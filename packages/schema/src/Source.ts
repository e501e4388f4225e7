/**
 * A completion being generated, read batch by batch through plain promises: what every backend's `open` hands
 * back (docs/architecture.md#backends). The server's hot path reads it directly — per token, a fiber, a scope
 * or a Stream costs more than the token — and `toStream` makes it an Effect Stream for callers that want one.
 * Portable (no Node built-ins): the translator's browser bundle imports this package.
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { BackendError, type ChatBackend, type OpenOptions } from "./ChatBackend.js"
import type { ChatCompletionChunk, ChatCompletionRequest } from "./ChatCompletions.js"

/** @category models */
export type Chunks = ReadonlyArray<ChatCompletionChunk>

/**
 * One read: chunks, or the end, or why it failed. After End or Failed, every read answers the same.
 * @category models
 */
export type Batch =
  | { readonly _tag: "Chunks"; readonly chunks: Chunks }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly error: BackendError }

/** @category models */
export interface Source {
  /** The next batch. Never rejects. */
  readonly next: () => Promise<Batch>
  /**
   * Frees what the completion holds (an upstream request, an engine sequence): a pending `next` settles (Failed,
   * unless it had ended). Safe to call twice; a source read to its end is released all the same. The promise
   * settles once it is free (an engine's sequence idle again); callers need not wait for it.
   */
  readonly release: () => Promise<void>
  /**
   * Which backend serves it, when a router chose among several (the `x-parlance-backend` header, the stored
   * response's `metadata.parlance`, metrics and traces). Absent for a single backend.
   */
  readonly servedBy?: string
}

/** @category constructors */
export const end: Batch = { _tag: "End" }
/** @category constructors */
export const chunks = (chunks: Chunks): Batch => ({ _tag: "Chunks", chunks })
/** @category constructors */
export const failed = (error: BackendError): Batch => ({ _tag: "Failed", error })

/**
 * What a released source answers to a read it had pending.
 * @category constructors
 */
export const released = (): Batch =>
  failed(
    new BackendError({ reason: "internal", message: "The generation was stopped.", code: "released", param: null })
  )

/**
 * The next batch as an Effect; a waiter who leaves (interruption) releases the source.
 * @category utils
 */
export const read = (source: Source): Effect.Effect<Batch> =>
  Effect.callback<Batch>((resume) => {
    source.next().then((batch) => resume(Effect.succeed(batch)))
    return Effect.sync(() => void source.release())
  })

/** An open source and its first batch, which holds chunks or the end (never a failure). @category models */
export interface Opened {
  readonly source: Source
  readonly first: Exclude<Batch, { readonly _tag: "Failed" }>
}

/**
 * Opens a source and waits for its first batch, so that a backend that fails before producing anything fails
 * here (the server answers an HTTP error with the right status, not a stream that fails at once).
 * @category constructors
 */
export const openFirst = <E>(open: Effect.Effect<Source, E>): Effect.Effect<Opened, E | BackendError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(open), (source) =>
      Effect.flatMap(restore(read(source)), (first): Effect.Effect<Opened, BackendError> => {
        if (first._tag !== "Failed") return Effect.succeed({ source, first })
        void source.release()
        return Effect.fail(first.error)
      })
    )
  )

/** The source's next non-empty batch as a stream pull: its chunks, or done at the end, or the failure. */
const pullOf = (
  source: Source
): Effect.Effect<Arr.NonEmptyReadonlyArray<ChatCompletionChunk>, BackendError | Cause.Done> => {
  const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<ChatCompletionChunk>, BackendError | Cause.Done> = Effect.flatMap(
    read(source),
    (batch) =>
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

/**
 * An opened source as a Stream (its first batch, then the rest); the stream's end releases the source and
 * waits until it is free.
 * @category conversions
 */
export const toStream = (opened: Opened): Stream.Stream<ChatCompletionChunk, BackendError> =>
  Stream.concat(
    Stream.fromArray(opened.first._tag === "Chunks" ? opened.first.chunks : []),
    Stream.fromPull(Effect.succeed(pullOf(opened.source)))
  ).pipe(Stream.ensuring(Effect.promise(() => opened.source.release())))

/**
 * The derived helper for callers that want an Effect Stream (tests, benches, tools): `open`, its first batch,
 * then the rest. Interrupting the stream releases the completion.
 * @category conversions
 */
export const stream = (
  backend: ChatBackend,
  request: ChatCompletionRequest,
  options?: OpenOptions
): Stream.Stream<ChatCompletionChunk, BackendError> =>
  Stream.unwrap(Effect.map(openFirst(backend.open(request, options)), toStream))
