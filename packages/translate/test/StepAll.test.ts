/**
 * `Sequencer.stepAll` (the hot path's fold: one draft per batch of inputs) is exactly `step` applied in turn:
 * for every golden vector and any way of cutting its inputs into batches, the same events and the same end.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Sequencer from "../src/Sequencer.js"
import { streamVectors, vectorContext, vectorInputs } from "./vectorReplay.js"

const vectors = streamVectors()

/** The vector's inputs with End appended (as the server's driver ends a stream), folded one at a time. */
const oneByOne = (inputs: ReadonlyArray<Sequencer.Input>, ctx: Sequencer.Context) => {
  let [state, events] = Sequencer.start(Sequencer.initial(ctx))
  const out = [...events]
  for (const input of inputs) {
    ;[state, events] = Sequencer.step(state, input)
    out.push(...events)
  }
  return { out, phase: state.phase }
}

/** The same inputs in batches of the given sizes (cycled). */
const batched = (inputs: ReadonlyArray<Sequencer.Input>, ctx: Sequencer.Context, sizes: ReadonlyArray<number>) => {
  let [state, events] = Sequencer.start(Sequencer.initial(ctx))
  const out = [...events]
  for (let at = 0, i = 0; at < inputs.length; i++) {
    const size = sizes[i % sizes.length]!
    ;[state, events] = Sequencer.stepAll(state, inputs.slice(at, at + size))
    out.push(...events)
    at += size
  }
  return { out, phase: state.phase }
}

describe("Sequencer.stepAll", () => {
  it("folds every golden vector, cut into any batches, to exactly the events of step one by one", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20)
    for (const vector of vectors) {
      const inputs = [...vectorInputs(vector), Sequencer.end]
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }), (sizes) => {
          expect(batched(inputs, vectorContext(vector), sizes)).toEqual(oneByOne(inputs, vectorContext(vector)))
        }),
        { numRuns: 25 }
      )
    }
  })

  it("folds nothing after the terminal event, within a batch or after it", () => {
    const vector = vectors[0]!
    const inputs = [...vectorInputs(vector), Sequencer.end, Sequencer.failed("late", "after the end"), Sequencer.end]
    const all = batched(inputs, vectorContext(vector), [inputs.length])
    expect(
      all.out.filter(
        (e) => e.type === "response.completed" || e.type === "response.failed" || e.type === "response.incomplete"
      )
    ).toHaveLength(1)
    expect(all).toEqual(oneByOne(inputs, vectorContext(vector)))
  })
})
