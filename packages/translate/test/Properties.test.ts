/**
 * Properties (docs/conventions.md#property-tests): any "generation plan" (what the model says) is rendered into Chat
 * Completions chunk streams split at arbitrary code-point boundaries, then driven through the sequencer.
 * Whatever the plan and the splitting, the event stream obeys the grammar, the openai SDK's accumulator accepts
 * it, the deltas carry exactly what the chunks carried, and streaming and non-streaming agree.
 */
import { describe, expect, it } from "@effect/vitest"
import { ResponseEvents, type ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator"
import type { Response as OpenAiResponse, ResponseStreamEvent } from "openai/resources/responses/responses"
import * as ChunkDecode from "../src/ChunkDecode.js"
import * as Ids from "../src/Ids.js"
import * as Sequencer from "../src/Sequencer.js"
import * as Sse from "../src/Sse.js"
import { validateStream } from "../src/ValidateStream.js"

/** `PROPERTY_RUNS=5000 npx vitest run test/Properties.test.ts` for a deeper search. */
const numRuns = Number(process.env.PROPERTY_RUNS ?? 200)

// ---------------------------------------------------------------- the plan

type Finish = "stop" | "length" | "tool_calls" | "content_filter" | undefined
type Ending = "done" | "none" | "failed" | "aborted"

interface PlannedCall {
  readonly name: string
  readonly id: string | undefined
  /** The complete JSON arguments. */
  readonly args: string
  /** llama-server style: the first delta carries `arguments: ""`, the arguments follow. */
  readonly emptyFirst: boolean
}

interface Plan {
  readonly reasoning: string
  readonly text: string
  readonly refusal: string
  readonly calls: ReadonlyArray<PlannedCall>
  readonly finish: Finish
  readonly usage:
    | { readonly prompt: number; readonly completion: number; readonly cached: number | undefined }
    | undefined
  readonly ending: Ending
  /** The request asked for a reasoning summary. */
  readonly summary: boolean
  /** The opening chunk: none, `content: ""` (vLLM/OpenAI) or `content: null` (llama-server). */
  readonly roleChunk: "none" | "empty" | "null"
  /** Reasoning via `reasoning_content` (llama-server) or `reasoning` (vLLM/Ollama). */
  readonly reasoningField: "reasoning_content" | "reasoning"
  /** finish_reason on the last delta chunk instead of a chunk of its own. */
  readonly finishAttached: boolean
  readonly usageAttached: boolean
}

/** How one rendering cuts the plan into chunks. */
interface Splitting {
  /** Piece sizes in code points, cycled. */
  readonly sizes: ReadonlyArray<number>
  /** Which call emits the next piece (interleaving), cycled; empty = calls one after the other. */
  readonly schedule: ReadonlyArray<number>
  /** How many consecutive tool-call deltas share one chunk, cycled. */
  readonly pack: ReadonlyArray<number>
}

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.constantFrom(
      "",
      "Hello, world!",
      "日本語 🎉",
      'line1\nline2\r\n\t"quoted" \\ back',
      "👩‍👩‍👧‍👦 family",
      "\u0000\u2028\u2029"
    )
  )

const jsonArgs = fc
  .oneof(
    fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }), {
      maxKeys: 4
    }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2, stringUnit: "grapheme" }), { maxKeys: 4 }),
    fc.constant({
      text: 'line1\nline2 café "q" \\ 🎉 日本',
      path: "C:\\dir\\file.txt",
      n: -1.5e-7,
      ok: true,
      none: null
    })
  )
  .map((o) => JSON.stringify(o))

const planArb: fc.Arbitrary<Plan> = fc
  .record({
    reasoning: text(40),
    text: text(60),
    refusal: fc.oneof({ weight: 4, arbitrary: fc.constant("") }, { weight: 1, arbitrary: text(30) }),
    calls: fc.array(
      fc.record({
        hasId: fc.boolean(),
        id: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
        args: jsonArgs,
        emptyFirst: fc.boolean()
      }),
      { maxLength: 4 }
    ),
    finish: fc.constantFrom<Finish>("stop", "length", "tool_calls", "content_filter", undefined),
    usage: fc.option(
      fc.record({
        prompt: fc.nat(100_000),
        completion: fc.nat(10_000),
        cached: fc.option(fc.nat(1000), { nil: undefined })
      }),
      { nil: undefined }
    ),
    ending: fc.constantFrom<Ending>("done", "done", "none", "failed", "aborted"),
    summary: fc.boolean(),
    roleChunk: fc.constantFrom<Plan["roleChunk"]>("none", "empty", "null"),
    reasoningField: fc.constantFrom<Plan["reasoningField"]>("reasoning_content", "reasoning"),
    finishAttached: fc.boolean(),
    usageAttached: fc.boolean()
  })
  .map(({ calls, ...rest }) => ({
    ...rest,
    // Unique names (and ids, when present) so each call can be found again in the output.
    calls: calls.map((c, k) => ({
      name: `tool_${k}`,
      id: c.hasId ? `${c.id}_${k}` : undefined,
      args: c.args,
      emptyFirst: c.emptyFirst
    }))
  }))

const splittingArb = (interleave: boolean): fc.Arbitrary<Splitting> =>
  fc.record({
    sizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
    schedule: interleave ? fc.array(fc.nat(3), { minLength: 1, maxLength: 12 }) : fc.constant([]),
    pack: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 })
  })

// ---------------------------------------------------------------- rendering

/** Split on code points (a JS string never holds half a surrogate pair), inside escapes and multi-byte chars. */
const split = (s: string, sizes: ReadonlyArray<number>): Array<string> => {
  const cps = Array.from(s)
  const out: Array<string> = []
  for (let at = 0, k = 0; at < cps.length; k++) {
    const size = sizes[k % sizes.length]!
    out.push(cps.slice(at, at + size).join(""))
    at += size
  }
  return out
}

type Delta = Record<string, unknown>
const chunkOf = (choices: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
  choices,
  created: 1_758_000_000,
  id: "chatcmpl-prop",
  model: "qwen3",
  system_fingerprint: "b6500-abcdef",
  object: "chat.completion.chunk",
  ...extra
})
const choice = (delta: Delta, finish_reason: string | null = null) => ({ finish_reason, index: 0, delta })

/** A plan and a splitting → the `data:` payloads an upstream would send, then the control input (if any). */
const render = (
  plan: Plan,
  s: Splitting
): { readonly data: Array<string>; readonly control: Sequencer.Control | undefined } => {
  const deltas: Array<Delta> = []
  if (plan.roleChunk !== "none") deltas.push({ role: "assistant", content: plan.roleChunk === "empty" ? "" : null })
  for (const piece of split(plan.reasoning, s.sizes)) deltas.push({ [plan.reasoningField]: piece })
  for (const piece of split(plan.text, s.sizes)) deltas.push({ content: piece })
  for (const piece of split(plan.refusal, s.sizes)) deltas.push({ refusal: piece })

  // Tool-call deltas, one per piece; the first of each call names it.
  const perCall = plan.calls.map((call, index) => {
    const pieces = split(call.args, s.sizes)
    const head = { index, ...(call.id !== undefined ? { id: call.id, type: "function" } : {}) }
    const list: Array<Record<string, unknown>> =
      call.emptyFirst || pieces.length === 0
        ? [
            { ...head, function: { name: call.name, arguments: "" } },
            ...pieces.map((arguments_) => ({ index, function: { arguments: arguments_ } }))
          ]
        : [
            { ...head, function: { name: call.name, arguments: pieces[0] } },
            ...pieces.slice(1).map((arguments_) => ({ index, function: { arguments: arguments_ } }))
          ]
    return list
  })
  const toolDeltas: Array<Record<string, unknown>> = []
  if (s.schedule.length === 0) for (const list of perCall) toolDeltas.push(...list)
  else {
    const cursors = perCall.map(() => 0)
    for (let k = 0; toolDeltas.length < perCall.reduce((n, l) => n + l.length, 0); k++) {
      const live = perCall.map((_l, i) => i).filter((i) => cursors[i]! < perCall[i]!.length)
      const i = live[s.schedule[k % s.schedule.length]! % live.length]!
      toolDeltas.push(perCall[i]![cursors[i]!++]!)
    }
  }
  for (let at = 0, k = 0; at < toolDeltas.length; k++) {
    const n = s.pack[k % s.pack.length]!
    deltas.push({ tool_calls: toolDeltas.slice(at, at + n) })
    at += n
  }

  const usage = plan.usage && {
    completion_tokens: plan.usage.completion,
    prompt_tokens: plan.usage.prompt,
    total_tokens: plan.usage.prompt + plan.usage.completion,
    ...(plan.usage.cached !== undefined ? { prompt_tokens_details: { cached_tokens: plan.usage.cached } } : {})
  }
  const chunks: Array<Record<string, unknown>> = deltas.map((d) => chunkOf([choice(d)]))
  if (plan.finish !== undefined) {
    if (plan.finishAttached && chunks.length > 0) {
      const last = chunks.length - 1
      chunks[last] = chunkOf([choice(deltas[last]!, plan.finish)])
    } else chunks.push(chunkOf([choice({}, plan.finish)]))
  }
  if (usage !== undefined) {
    if (plan.usageAttached && chunks.length > 0) chunks[chunks.length - 1] = { ...chunks[chunks.length - 1], usage }
    else chunks.push(chunkOf([], { usage, timings: { prompt_n: 3, predicted_n: 4 } }))
  }
  const data = chunks.map((c) => JSON.stringify(c))
  switch (plan.ending) {
    case "done":
      return { data: [...data, "[DONE]"], control: undefined }
    case "none":
      return { data, control: undefined }
    case "failed":
      return {
        data,
        control: Sequencer.failed("upstream_disconnected", "The upstream closed the connection mid-stream.")
      }
    case "aborted":
      return { data, control: Sequencer.aborted() }
  }
}

const inputsOf = (r: ReturnType<typeof render>): Array<Sequencer.Input> => [
  ...r.data.map(ChunkDecode.fromData),
  ...(r.control !== undefined ? [r.control] : [])
]

/** A fresh context per run: the id counter is stateful. */
const contextOf = (plan: Plan): Sequencer.Context => ({
  responseId: "resp_prop",
  createdAt: 1_700_000_000,
  clock: () => 1_700_000_001,
  model: "local-model",
  ids: Ids.counter(),
  reasoning: plan.summary ? "summary" : "text"
})

const streamed = (plan: Plan, inputs: ReadonlyArray<Sequencer.Input>): ReadonlyArray<ResponseEventLike> =>
  Effect.runSync(
    Stream.fromIterable(inputs).pipe(
      Stream.concat(Stream.make(Sequencer.end)),
      Stream.mapAccum(() => Sequencer.initial(contextOf(plan)), Sequencer.step),
      Stream.runCollect
    )
  )

type ResponseEventLike = ResponseEvents.ResponseStreamEvent

const accumulate = (events: ReadonlyArray<unknown>): OpenAiResponse => {
  let snapshot: OpenAiResponse | undefined
  for (const event of events) snapshot = accumulateResponse(event as ResponseStreamEvent, snapshot)
  return snapshot!
}

const concatDeltas = (
  events: ReadonlyArray<ResponseEventLike>,
  type: ResponseEventLike["type"],
  itemId?: string
): string =>
  events
    .filter((e) => e.type === type && (itemId === undefined || ("item_id" in e && e.item_id === itemId)))
    .map((e) => ("delta" in e ? e.delta : ""))
    .join("")

const expectedStatus = (plan: Plan): ResponseObject.ResponseStatus => {
  if (plan.ending === "failed") return "failed"
  if (plan.ending === "aborted") return "cancelled"
  return plan.finish === "length" || plan.finish === "content_filter" ? "incomplete" : "completed"
}

const functionCalls = (response: ResponseObject.Response) =>
  response.output.filter((i): i is ResponseObject.FunctionCall => i.type === "function_call")

/** A splitting that is not a splitting: every string in one piece, calls one after the other. */
const whole: Splitting = { sizes: [1_000_000], schedule: [], pack: [1] }

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

// ---------------------------------------------------------------- properties

describe("sequencer properties", () => {
  const interleaved = fc.boolean().chain((interleave) => fc.tuple(planArb, splittingArb(interleave)))

  it("(a) any rendering of any plan passes validateStream", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const { events } = Sequencer.run(contextOf(plan), inputsOf(render(plan, splitting)))
        expect(validateStream(events, { strict: true })).toEqual([])
      }),
      { numRuns }
    )
  })

  it("(b) the openai SDK accumulator accepts the events and rebuilds the terminal response's output", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const { events, response } = Sequencer.run(contextOf(plan), inputsOf(render(plan, splitting)))
        const snapshot = accumulate(events)
        expect(snapshot.output).toEqual(response.output)
        expect(snapshot.status).toBe(response.status)
        expect(response.status).toBe(expectedStatus(plan))
      }),
      { numRuns }
    )
  })

  it("(c) deltas carry exactly the chunks' content, reasoning, refusal and arguments", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const { events, response } = Sequencer.run(contextOf(plan), inputsOf(render(plan, splitting)))
        expect(concatDeltas(events, "response.output_text.delta")).toBe(plan.text)
        expect(concatDeltas(events, "response.refusal.delta")).toBe(plan.refusal)
        const reasoningDelta = plan.summary ? "response.reasoning_summary_text.delta" : "response.reasoning_text.delta"
        expect(concatDeltas(events, reasoningDelta)).toBe(plan.reasoning)
        const calls = functionCalls(response)
        expect(calls.map((c) => c.name).sort()).toEqual(plan.calls.map((c) => c.name))
        for (const planned of plan.calls) {
          const item = calls.find((c) => c.name === planned.name)!
          expect(item.arguments).toBe(planned.args)
          expect(concatDeltas(events, "response.function_call_arguments.delta", item.id)).toBe(planned.args)
          if (planned.id !== undefined) expect(item.call_id).toBe(planned.id)
          else expect(item.call_id).toMatch(/^call_/)
        }
        // Without interleaving, items come out in the order the model produced them.
        if (splitting.schedule.length === 0) expect(calls.map((c) => c.name)).toEqual(plan.calls.map((c) => c.name))
        const kinds = response.output.map((i) => i.type)
        expect(kinds).toEqual([
          ...(plan.reasoning !== "" ? ["reasoning"] : []),
          ...(plan.text !== "" || plan.refusal !== "" ? ["message"] : []),
          ...plan.calls.map(() => "function_call")
        ])
        const itemStatus =
          plan.finish !== undefined
            ? plan.finish === "length" || plan.finish === "content_filter"
              ? "incomplete"
              : "completed"
            : plan.ending === "failed" || plan.ending === "aborted"
              ? "incomplete"
              : "completed"
        // The item open when the response ended carries its status; items closed before it completed.
        // (Interleaved calls buffered until the end are replayed then, with the ending status.)
        response.output.forEach((item, k) => {
          if (k === response.output.length - 1) expect(item.status).toBe(itemStatus)
          else if (splitting.schedule.length === 0) expect(item.status).toBe("completed")
          else expect([itemStatus, "completed"]).toContain(item.status)
        })
        const u = plan.usage
        expect(response.usage).toEqual({
          input_tokens: u?.prompt ?? 0,
          input_tokens_details: { cached_tokens: u?.cached ?? 0, cache_write_tokens: 0 },
          output_tokens: u?.completion ?? 0,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: (u?.prompt ?? 0) + (u?.completion ?? 0)
        })
      }),
      { numRuns }
    )
  })

  it("(d) non-streaming (run) equals streaming (Stream.mapAccum + flattenIterables)", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const inputs = inputsOf(render(plan, splitting))
        const { events, response } = Sequencer.run(contextOf(plan), inputs)
        const stream = streamed(plan, inputs)
        expect(stream).toEqual(events)
        expect(Sequencer.terminalResponse(stream[stream.length - 1]!)).toEqual(response)
        // Exactly one terminal, last.
        expect(stream.filter((e) => Sequencer.terminalResponse(e) !== undefined)).toHaveLength(1)
      }),
      { numRuns }
    )
  })

  it("(e) chunk-boundary invariance: two splittings of one plan yield the same Response", () => {
    fc.assert(
      fc.property(planArb, splittingArb(false), splittingArb(false), (plan, s1, s2) => {
        const a = Sequencer.run(contextOf(plan), inputsOf(render(plan, s1))).response
        const b = Sequencer.run(contextOf(plan), inputsOf(render(plan, s2))).response
        const c = Sequencer.run(contextOf(plan), inputsOf(render(plan, whole))).response
        expect(a).toEqual(b)
        expect(a).toEqual(c)
      }),
      { numRuns }
    )
  })

  it("(e') interleaving changes at most the order of function calls, never their content", () => {
    fc.assert(
      fc.property(planArb, splittingArb(true), (plan, s) => {
        const a = Sequencer.run(contextOf(plan), inputsOf(render(plan, s))).response
        const b = Sequencer.run(contextOf(plan), inputsOf(render(plan, whole))).response
        const shape = (r: ResponseObject.Response) =>
          r.output
            .map((i) =>
              i.type === "function_call"
                ? {
                    name: i.name,
                    arguments: i.arguments,
                    ...(i.call_id.startsWith("call_") ? {} : { call_id: i.call_id })
                  }
                : { ...i, id: "", status: "" }
            )
            .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
        expect(shape(a)).toEqual(shape(b))
        expect({ ...a, output: [] }).toEqual({ ...b, output: [] })
      }),
      { numRuns }
    )
  })

  it("(f) Sse.decodeText(encodeEvent…) round-trips the events", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const { events } = Sequencer.run(contextOf(plan), inputsOf(render(plan, splitting)))
        const decoded = Sse.decodeText(events.map(Sse.encodeEvent).join(""))
        expect(decoded.map((m) => m.event)).toEqual(events.map((e) => e.type))
        expect(decoded.map((m) => JSON.parse(m.data))).toEqual(events)
        expect(
          validateStream(
            decoded.map((m) => JSON.parse(m.data)),
            { eventNames: decoded.map((m) => m.event), strict: true }
          )
        ).toEqual([])
      }),
      { numRuns }
    )
  })

  it("(g) every emitted event encodes and decodes through the strict ResponseStreamEvent schema unchanged", () => {
    const encode = Schema.encodeUnknownSync(ResponseEvents.ResponseStreamEvent)
    const decode = Schema.decodeUnknownSync(ResponseEvents.ResponseStreamEvent)
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const { events } = Sequencer.run(contextOf(plan), inputsOf(render(plan, splitting)))
        for (const event of events) {
          const wire = JSON.parse(JSON.stringify(encode(event)))
          expect(decode(wire)).toEqual(event)
        }
      }),
      { numRuns: Math.min(numRuns, 100) }
    )
  })

  it("step never mutates its input state (the fold is pure)", () => {
    fc.assert(
      fc.property(interleaved, ([plan, splitting]) => {
        const inputs = inputsOf(render(plan, splitting))
        let state = deepFreeze(Sequencer.initial(contextOf(plan)))
        const events: Array<ResponseEventLike> = []
        for (const input of [...inputs, Sequencer.end]) {
          const [next, out] = Sequencer.step(state, deepFreeze(input))
          events.push(...out)
          state = deepFreeze(next)
        }
        expect(events).toEqual(Sequencer.run(contextOf(plan), inputs).events)
      }),
      { numRuns: 100 }
    )
  })
})
