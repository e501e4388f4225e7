/**
 * A minimal single-consumer bridge from node-llama-cpp's synchronous callbacks to an Effect `Stream`.
 * `offer` only pushes to an array (and schedules one wake-up of a waiting consumer); the consumer takes everything
 * buffered as one chunk. Per token this costs one array push instead of a fiber per element, which
 * matters when a token takes a fraction of a millisecond.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

export interface Mailbox<A, E> {
  readonly offer: (value: A) => void
  readonly end: () => void
  readonly fail: (error: E) => void
  readonly stream: Stream.Stream<A, E>
}

export const makeMailbox = <A, E>(): Mailbox<A, E> => {
  let buffer: Array<A> = []
  let state: { readonly _tag: "Open" } | { readonly _tag: "Ended" } | { readonly _tag: "Failed"; readonly error: E } = {
    _tag: "Open"
  }
  let waiter: ((effect: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>) => void) | undefined

  const drain = (): Effect.Effect<Chunk.Chunk<A>, Option.Option<E>> => {
    if (buffer.length > 0) {
      const taken = buffer
      buffer = []
      return Effect.succeed(Chunk.unsafeFromArray(taken))
    }
    if (state._tag === "Ended") return Effect.fail(Option.none())
    if (state._tag === "Failed") return Effect.fail(Option.some(state.error))
    return Effect.async<Chunk.Chunk<A>, Option.Option<E>>((resume) => {
      waiter = resume
      if (buffer.length > 0 || state._tag !== "Open") wake()
      return Effect.sync(() => {
        waiter = undefined
      })
    })
  }

  // The consumer is woken on the next macrotask, not synchronously: tokens produced meanwhile are taken as
  // one chunk, and the Effect consumer never runs between two of node-llama-cpp's steps.
  let scheduled = false
  const wakeNow = (): void => {
    scheduled = false
    const resume = waiter
    if (resume === undefined) return
    waiter = undefined
    resume(Effect.suspend(drain))
  }
  const wake = (): void => {
    if (scheduled || waiter === undefined) return
    scheduled = true
    setTimeout(wakeNow, 0)
  }

  return {
    offer: (value) => {
      if (state._tag !== "Open") return
      buffer.push(value)
      wake()
    },
    end: () => {
      if (state._tag === "Open") state = { _tag: "Ended" }
      wake()
    },
    fail: (error) => {
      if (state._tag === "Open") state = { _tag: "Failed", error }
      wake()
    },
    stream: Stream.repeatEffectChunkOption(Effect.suspend(drain))
  }
}
