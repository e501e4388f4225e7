/**
 * The sequences of the one context, leased one request at a time. A request takes the free sequence whose
 * KV cache shares the longest token prefix with its prompt (node-llama-cpp then evaluates only the rest);
 * when all are busy it waits in a bounded FIFO queue; past `queueLimit` it fails at once with 503.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { LlamaChat, LlamaContextSequence, Token } from "node-llama-cpp"
import { serverBusy } from "./errors.js"

export interface Slot {
  readonly index: number
  readonly sequence: LlamaContextSequence
  readonly chat: LlamaChat
  busy: boolean
  lastUsed: number
}

interface Waiter {
  readonly resume: (slot: Slot) => void
  assigned: Slot | undefined
}

export const commonPrefixLength = (a: ReadonlyArray<Token>, b: ReadonlyArray<Token>): number => {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

export interface SequencePool {
  /** Lease a sequence for the scope's lifetime; the lease ends when the scope closes. */
  /** `onQueued`: called once when every sequence is busy and the request joins the queue. */
  readonly lease: (
    prompt: ReadonlyArray<Token>,
    onQueued?: () => void
  ) => Effect.Effect<Slot, BackendError, Scope.Scope>
  readonly stats: () => { readonly busy: number; readonly waiting: number; readonly size: number }
}

export const makePool = (slots: ReadonlyArray<Slot>, queueLimit: number): SequencePool => {
  const waiters: Array<Waiter> = []
  let clock = 0
  const busyCount = () => slots.filter((s) => s.busy).length

  const take = (slot: Slot): Slot => {
    slot.busy = true
    slot.lastUsed = ++clock
    return slot
  }

  const release = (slot: Slot): void => {
    const next = waiters.shift()
    if (next === undefined) {
      slot.busy = false
      return
    }
    next.assigned = take(slot)
    next.resume(slot)
  }

  const best = (prompt: ReadonlyArray<Token>): Slot | undefined => {
    let chosen: Slot | undefined
    let chosenPrefix = -1
    for (const slot of slots) {
      if (slot.busy) continue
      const prefix = commonPrefixLength(slot.sequence.contextTokens, prompt)
      // Longest shared prefix; on a tie the least recently used sequence, keeping fresher caches for their owners.
      if (
        prefix > chosenPrefix ||
        (prefix === chosenPrefix && chosen !== undefined && slot.lastUsed < chosen.lastUsed)
      ) {
        chosen = slot
        chosenPrefix = prefix
      }
    }
    return chosen
  }

  const acquire = (prompt: ReadonlyArray<Token>, onQueued?: () => void): Effect.Effect<Slot, BackendError> =>
    Effect.suspend(() => {
      const free = best(prompt)
      if (free !== undefined) return Effect.succeed(take(free))
      if (waiters.length >= queueLimit) return Effect.fail(serverBusy(busyCount(), waiters.length))
      return Effect.callback<Slot>((resume) => {
        const waiter: Waiter = { resume: (slot) => resume(Effect.succeed(slot)), assigned: undefined }
        waiters.push(waiter)
        onQueued?.()
        // Interrupted while queued: leave the queue, or hand back a sequence that was assigned meanwhile.
        return Effect.sync(() => {
          const at = waiters.indexOf(waiter)
          if (at >= 0) waiters.splice(at, 1)
          if (waiter.assigned !== undefined) release(waiter.assigned)
        })
      })
    })

  return {
    lease: (prompt, onQueued) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.tap(restore(acquire(prompt, onQueued)), (slot) =>
          Effect.addFinalizer(() => Effect.sync(() => release(slot)))
        )
      ),
    stats: () => ({ busy: busyCount(), waiting: waiters.length, size: slots.length })
  }
}
