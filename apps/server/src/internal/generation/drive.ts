/**
 * The driver: the fold (docs/architecture.md#sequencer) over batches of inputs, one batch of events per batch
 * of inputs — no per-event machinery. The opening events come first and alone, so that they leave at once.
 * It holds only the fold's state, so that a generation whose consumer left can still close the response
 * with `finish`.
 */
import type { ResponseEvents } from "@parlance/schema"
import { Sequencer } from "@parlance/translate"

type Event = ResponseEvents.ResponseStreamEvent

export interface Driver {
  /** `response.created` and `response.in_progress` (or `response.queued`): the first events, before any input. */
  readonly opening: ReadonlyArray<Event>
  /** The events for the next batch of inputs (the last batch ends with a control input: End, Failed, Aborted). */
  readonly fold: (inputs: Iterable<Sequencer.Input>) => ReadonlyArray<Event>
  /** True once the terminal event was produced. */
  readonly done: () => boolean
  /** The closing events for an ending the inputs never delivered; nothing once the terminal event was made. */
  readonly finish: (outcome: Sequencer.Control) => ReadonlyArray<Event>
}

/** `queued`: the opening is `response.created` + `response.queued`; `response.in_progress` comes with the first batch. */
export const drive = (ctx: Sequencer.Context, queued = false): Driver => {
  const [started, opening] = (queued ? Sequencer.startQueued : Sequencer.start)(Sequencer.initial(ctx))
  let state = started
  const fold = (inputs: Iterable<Sequencer.Input>): ReadonlyArray<Event> => {
    const [next, events] = Sequencer.stepAll(state, inputs)
    state = next
    return events
  }
  // Nothing is folded after `finish`, so the state it leaves is not kept.
  return { opening, fold, done: () => state.phase === "done", finish: (outcome) => Sequencer.finish(state, outcome) }
}
