/**
 * Run a stream until its first element, so that a failure before anything was produced can still be an HTTP
 * error status; hand back a stream that yields that element and then the rest. Interrupting or finishing
 * the returned stream releases the source (aborting an upstream request, freeing an engine sequence).
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

export const pullFirst = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Stream.Stream<A, E>, E> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const release = Scope.close(scope, Exit.void)
    const pull = yield* Stream.toPull(stream).pipe(Scope.extend(scope))
    const first = yield* pull.pipe(
      Effect.map(Option.some),
      Effect.catchAll((error) => (Option.isNone(error) ? Effect.succeed(Option.none<Chunk.Chunk<A>>()) : Effect.fail(error.value))),
      Effect.tapError(() => release),
      Effect.onInterrupt(() => release)
    )
    if (Option.isNone(first)) {
      yield* release
      return Stream.empty
    }
    return Stream.concat(Stream.fromChunk(first.value), Stream.repeatEffectChunkOption(pull)).pipe(Stream.ensuring(release))
  })
