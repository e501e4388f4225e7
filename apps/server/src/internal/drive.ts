/**
 * The driver: the sequencer's pure fold run over a stream of inputs (DESIGN §3). It holds only the fold's
 * current state, so that a consumer who stops pulling (a client gone) can still close the response with
 * `finish`. Per batch of inputs, one batch of events: no per-event stream machinery.
 */
import type { ResponseEvents } from "@parlance/schema"
import { Sequencer } from "@parlance/translate"
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"

type Event = ResponseEvents.ResponseStreamEvent

export interface Driver {
  /** `response.created` and `response.in_progress`: the first events, before any input. */
  readonly opening: ReadonlyArray<Event>
  /** `response.created` and `response.in_progress`, then every event the inputs imply. */
  readonly events: Stream.Stream<Event>
  /** The closing events for an ending the inputs never delivered; nothing once the terminal event was sent. */
  readonly finish: (outcome: Sequencer.Control) => ReadonlyArray<Event>
}

export const drive = (ctx: Sequencer.Context, inputs: Stream.Stream<Sequencer.Input>): Driver => {
  const [started, opening] = Sequencer.start(Sequencer.initial(ctx))
  let state = started
  const fold = (batch: Chunk.Chunk<Sequencer.Input>): Chunk.Chunk<Event> => {
    const out: Array<Event> = []
    for (const input of batch) {
      const [next, events] = Sequencer.step(state, input)
      state = next
      for (let i = 0; i < events.length; i++) out.push(events[i]!)
    }
    return Chunk.unsafeFromArray(out)
  }
  return {
    opening,
    events: Stream.concat(Stream.fromIterable(opening), Stream.mapChunks(inputs, fold)),
    // Nothing is pulled after it, so the state it leaves is not kept.
    finish: (outcome) => Sequencer.finish(state, outcome)
  }
}
