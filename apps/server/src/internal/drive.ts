/**
 * The driver: the sequencer's pure fold run over batches of inputs (DESIGN §3), one batch of events per batch
 * of inputs — no per-event stream machinery. The opening events come alone, first, so that they leave at
 * once. It holds only the fold's state, so that a consumer who stops pulling (a client gone) can still
 * close the response with `finish`.
 */
import type { ResponseEvents } from "@parlance/schema"
import { Sequencer } from "@parlance/translate"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

type Event = ResponseEvents.ResponseStreamEvent

export interface Driver {
  /** `response.created` and `response.in_progress`: the first events, before any input. */
  readonly opening: ReadonlyArray<Event>
  /** The next batch of events; `None` after the batch that held the terminal event. */
  readonly next: Effect.Effect<Chunk.Chunk<Event>, Option.Option<never>>
  /** The closing events for an ending the inputs never delivered; nothing once the terminal event was sent. */
  readonly finish: (outcome: Sequencer.Control) => ReadonlyArray<Event>
}

/** `inputs`: the next batch of inputs; the last batch ends with a control input (End, Failed, Aborted). */
export const drive = (ctx: Sequencer.Context, inputs: Effect.Effect<Chunk.Chunk<Sequencer.Input>>): Driver => {
  const [started, opening] = Sequencer.start(Sequencer.initial(ctx))
  let state = started
  let opened = false
  const fold = (batch: Chunk.Chunk<Sequencer.Input>): Chunk.Chunk<Event> => {
    const out: Array<Event> = []
    for (const input of batch) {
      const [next, events] = Sequencer.step(state, input)
      state = next
      for (let i = 0; i < events.length; i++) out.push(events[i]!)
    }
    return Chunk.unsafeFromArray(out)
  }
  const none = Effect.fail(Option.none())
  const next = Effect.suspend((): Effect.Effect<Chunk.Chunk<Event>, Option.Option<never>> => {
    if (!opened) {
      opened = true
      return Effect.succeed(Chunk.unsafeFromArray(opening))
    }
    return state.phase === "done" ? none : Effect.map(inputs, fold)
  })
  // Nothing is pulled after `finish`, so the state it leaves is not kept.
  return { opening, next, finish: (outcome) => Sequencer.finish(state, outcome) }
}
