/**
 * Run a stream until its first batch, so that a failure before anything was produced can still be an HTTP
 * error status; hand back that batch and a pull for the rest. `release` frees the source (aborting an
 * upstream request, freeing an engine sequence); `toStream` does it when the returned stream ends.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

export interface Pulled<A, E> {
  /** Empty when the stream ended without producing anything. */
  readonly first: Chunk.Chunk<A>
  /** The next batch; `None` once the stream ended. */
  readonly pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>
  readonly release: Effect.Effect<void>
}

export const pullFirst = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Pulled<A, E>, E> => openFirst(Stream.toPull(stream))

/** The same from a pull that is open for a scope (no stream around it). */
export const openFirst = <A, E>(open: Effect.Effect<Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>, E, Scope.Scope>): Effect.Effect<Pulled<A, E>, E> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const release = Scope.close(scope, Exit.void)
    const pull = yield* open.pipe(Scope.extend(scope), Effect.tapError(() => release), Effect.onInterrupt(() => release))
    const first = yield* pull.pipe(
      Effect.catchAll((error) => (Option.isNone(error) ? Effect.succeed(Chunk.empty<A>()) : Effect.fail(error.value))),
      Effect.tapError(() => release),
      Effect.onInterrupt(() => release)
    )
    return { first, pull, release }
  })

/** The whole stream again: the first batch, then the rest; releases the source when it ends. */
export const toStream = <A, E>(pulled: Pulled<A, E>): Stream.Stream<A, E> =>
  Stream.concat(Stream.fromChunk(pulled.first), Stream.repeatEffectChunkOption(pulled.pull)).pipe(Stream.ensuring(pulled.release))
