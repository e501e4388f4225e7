/**
 * A minimal single-consumer bridge from node-llama-cpp's synchronous callbacks to an Effect `Stream`.
 * `offer` only pushes to an array; each pull takes everything buffered as one array (the stream's own chunk, no
 * copy). Per token this costs one array push; the Effect side (fiber resume, pull, the consumer's own work) runs
 * once per batch.
 *
 * Wake-ups are throttled: the consumer is woken on a later macrotask (never synchronously, so the Effect
 * consumer never runs between two of node-llama-cpp's steps), at once when it has not been woken for
 * `interval` ms (the first token, slow generation: no added latency), else `interval` ms after the previous
 * wake-up (fast generation: the tokens of that time slice arrive as one batch). End and failure wake it at once.
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Pull from "effect/Pull"
import * as Stream from "effect/Stream"

export interface Mailbox<A, E> {
  readonly offer: (value: A) => void
  readonly end: () => void
  readonly fail: (error: E) => void
  readonly stream: Stream.Stream<A, E>
}

/** Shortest time between two wake-ups of the consumer while tokens keep coming (ms). */
export const DEFAULT_WAKE_INTERVAL = 8

export const makeMailbox = <A, E>(interval: number = DEFAULT_WAKE_INTERVAL): Mailbox<A, E> => {
  let buffer: Array<A> = []
  let open = true
  let failure: { readonly error: E } | undefined
  let waiter: ((effect: Effect.Effect<void>) => void) | undefined
  // A pending wake-up: a timer (throttled) or an immediate (setTimeout(0) would wait at least 1 ms).
  let timer: { readonly cancel: () => void } | undefined
  let lastWake = Number.NEGATIVE_INFINITY

  const wakeNow = (): void => {
    timer = undefined
    const resume = waiter
    if (resume === undefined) return
    waiter = undefined
    lastWake = performance.now()
    resume(Effect.void)
  }
  const wake = (): void => {
    if (timer !== undefined || waiter === undefined) return
    const delay = open ? lastWake + interval - performance.now() : 0
    if (delay > 0) {
      const handle = setTimeout(wakeNow, delay)
      timer = { cancel: () => clearTimeout(handle) }
    } else {
      const handle = setImmediate(wakeNow)
      timer = { cancel: () => clearImmediate(handle) }
    }
  }
  const close = (): void => {
    open = false
    // A throttled wake-up pending: deliver the rest now.
    if (timer !== undefined) {
      timer.cancel()
      timer = undefined
    }
    wake()
  }

  const awaitData: Effect.Effect<void> = Effect.callback<void>((resume) => {
    waiter = resume
    if (buffer.length > 0 || !open) wake()
    return Effect.sync(() => {
      waiter = undefined
      if (timer !== undefined) {
        timer.cancel()
        timer = undefined
      }
    })
  })

  // Take what is buffered, else end / fail / wait; one `suspend` step per batch.
  const pull: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E> = Effect.suspend(() => {
    if (buffer.length > 0) {
      const taken = buffer as unknown as Arr.NonEmptyReadonlyArray<A>
      buffer = []
      return Effect.succeed(taken)
    }
    if (open) return Effect.flatMap(awaitData, () => pull)
    return failure === undefined ? Cause.done() : Effect.fail(failure.error)
  })

  return {
    offer: (value) => {
      if (!open) return
      buffer.push(value)
      wake()
    },
    end: () => {
      if (open) close()
    },
    fail: (error) => {
      if (!open) return
      failure = { error }
      close()
    },
    stream: Stream.fromPull(Effect.succeed(pull))
  }
}
