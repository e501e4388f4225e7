/**
 * The sequencer's state and the primitives that open and close items. Each step works on a shallow draft
 * copy of the state and never mutates the input state's arrays, so the fold stays pure.
 */
import { ChatCompletions, type ResponseEvents, type ResponseObject } from "@parlance/schema"
import { type IdGenerator, prefixFor } from "../Ids.js"
import type { RequestEcho } from "../ResponseSnapshot.js"
import * as ToolMapping from "../ToolMapping.js"

type Event = ResponseEvents.ResponseStreamEvent
type ItemStatus = "completed" | "incomplete"

export interface Context {
  readonly responseId: string
  /** Unix seconds. */
  readonly createdAt: number
  readonly model: string
  readonly ids: IdGenerator
  /** Unix seconds, for `completed_at`; injected so the fold stays pure. Defaults to `createdAt`. */
  readonly clock?: () => number
  readonly echo?: RequestEcho
  readonly tools?: ToolMapping.ToolMap
  /** Reasoning as raw `reasoning_text` (default) or as summary parts (when the request asked for a summary). */
  readonly reasoning?: "text" | "summary"
  /** Seals a closed reasoning item's text into its `encrypted_content` (the request included `reasoning.encrypted_content`). */
  readonly sealReasoning?: (text: string) => string
  /**
   * Compaction mode (a `compaction_trigger` request, `/v1/responses/compact`): the model's text is the summary
   * and the response's only output item is one `compaction`, sealed with this.
   */
  readonly sealCompaction?: (summary: string) => string
  /**
   * Automatic compaction (`context_management`): the compaction item made before this generation, which
   * opens the output — added, `response.compaction.compacting`, done — right after `response.in_progress`.
   */
  readonly compacted?: ResponseObject.Compaction
}

export type OpenItem =
  | { readonly kind: "reasoning"; readonly id: string; readonly text: string; readonly summary: boolean }
  | {
      readonly kind: "message"
      readonly id: string
      /** Closed parts, then the open one. */
      readonly parts: ReadonlyArray<ResponseObject.OutputText | ResponseObject.Refusal>
      /** The kind of the open part; undefined before the first part. */
      readonly part: "output_text" | "refusal" | undefined
      readonly text: string
    }
  | {
      readonly kind: "call"
      readonly id: string
      readonly chatIndex: number
      readonly callId: string
      readonly name: string
      readonly target: ToolMapping.ToolTarget
      readonly args: string
    }

/** A tool call whose deltas arrived while another call was open, or before its name was known. */
export interface PendingCall {
  readonly chatIndex: number
  readonly callId: string | undefined
  readonly name: string | undefined
  readonly args: string
}

export interface State {
  readonly ctx: Context
  /** `new`: nothing sent; `open`: created sent; `finished`: finish_reason seen; `done`: terminal sent. */
  /** `queued`: created and queued were sent, `in_progress` comes with the first input. */
  readonly phase: "new" | "queued" | "open" | "finished" | "done"
  readonly seq: number
  /** Closed items, in output order. */
  readonly output: ReadonlyArray<ResponseObject.OutputItem>
  readonly open: OpenItem | undefined
  readonly pending: ReadonlyArray<PendingCall>
  /** Chat tool-call indexes already emitted (and closed). */
  readonly closedCalls: ReadonlyArray<number>
  readonly finishReason: string | undefined
  readonly usage: ChatCompletions.ChatUsage | undefined
  /** Set when the response must end `failed` (upstream error, invalid tool arguments…). */
  readonly failure:
    | { readonly code: string; readonly message: string; readonly status?: "failed" | "cancelled" }
    | undefined
  /** The response being built; lifecycle events carry snapshots of it. */
  readonly base: ResponseObject.Response
  /** Compaction mode: the summary written so far. */
  readonly summary: string
}

export type Draft = { -readonly [K in keyof State]: State[K] } & { readonly events: Array<Event> }

// `draft` and `finishDraft` run once per token: fields are copied by name (one monomorphic shape, no object
// spread / rest, which cost more than the rest of a step).
export const draft = (state: State): Draft => ({
  ctx: state.ctx,
  phase: state.phase,
  seq: state.seq,
  output: state.output,
  open: state.open,
  pending: state.pending,
  closedCalls: state.closedCalls,
  finishReason: state.finishReason,
  usage: state.usage,
  failure: state.failure,
  base: state.base,
  summary: state.summary,
  events: []
})

export const finishDraft = (d: Draft): readonly [State, ReadonlyArray<Event>] => [
  {
    ctx: d.ctx,
    phase: d.phase,
    seq: d.seq,
    output: d.output,
    open: d.open,
    pending: d.pending,
    closedCalls: d.closedCalls,
    finishReason: d.finishReason,
    usage: d.usage,
    failure: d.failure,
    base: d.base,
    summary: d.summary
  },
  d.events
]

/**
 * Push an event, stamping its `sequence_number`. The event is a literal the caller just built (never state),
 * so it is stamped in place rather than copied.
 */
export const emit = (d: Draft, event: DistributiveOmit<Event, "sequence_number">): void => {
  const stamped = event as DistributiveOmit<Event, "sequence_number"> & { sequence_number: number }
  stamped.sequence_number = d.seq++
  d.events.push(stamped as Event)
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

export const snapshot = (d: Draft, patch: Partial<ResponseObject.Response> = {}): ResponseObject.Response => ({
  ...d.base,
  output: d.output,
  ...patch
})

/** created + in_progress, once, before anything else (after a queued start: in_progress alone). */
export const ensureStarted = (d: Draft): void => {
  if (d.phase !== "new" && d.phase !== "queued") return
  if (d.phase === "new") emit(d, { type: "response.created", response: snapshot(d) })
  d.phase = "open"
  emit(d, { type: "response.in_progress", response: snapshot(d) })
  const compacted = d.ctx.compacted
  if (compacted !== undefined) {
    addItem(d, compacted)
    emit(d, { type: "response.compaction.compacting", item_id: compacted.id, output_index: nextIndex(d) })
    doneItem(d, compacted)
  }
}

/** created + queued, both with status `queued`: the request waits for capacity before its first input. */
export const startQueued = (d: Draft): void => {
  if (d.phase !== "new") return
  d.phase = "queued"
  emit(d, { type: "response.created", response: snapshot(d, { status: "queued" }) })
  emit(d, { type: "response.queued", response: snapshot(d, { status: "queued" }) })
}

const nextIndex = (d: Draft): number => d.output.length

export const addItem = (d: Draft, item: ResponseObject.OutputItem): void => {
  emit(d, { type: "response.output_item.added", output_index: nextIndex(d), item })
}

export const doneItem = (d: Draft, item: ResponseObject.OutputItem): void => {
  emit(d, { type: "response.output_item.done", output_index: nextIndex(d), item })
  d.output = [...d.output, item]
  d.open = undefined
}

// ---------------------------------------------------------------- reasoning

export const openReasoning = (d: Draft): OpenItem & { kind: "reasoning" } => {
  const id = d.ctx.ids(prefixFor("reasoning"))
  const summary = d.ctx.reasoning === "summary"
  const output_index = nextIndex(d)
  addItem(
    d,
    summary
      ? { type: "reasoning", id, summary: [], status: "in_progress" }
      : { type: "reasoning", id, summary: [], content: [], status: "in_progress" }
  )
  if (summary) {
    emit(d, {
      type: "response.reasoning_summary_part.added",
      item_id: id,
      output_index,
      summary_index: 0,
      part: { type: "summary_text", text: "" }
    })
  } else {
    emit(d, {
      type: "response.content_part.added",
      item_id: id,
      output_index,
      content_index: 0,
      part: { type: "reasoning_text", text: "" }
    })
  }
  const item = { kind: "reasoning", id, text: "", summary } as const
  d.open = item
  return item
}

export const reasoningDelta = (d: Draft, item: OpenItem & { kind: "reasoning" }, delta: string): void => {
  const output_index = nextIndex(d)
  if (item.summary)
    emit(d, { type: "response.reasoning_summary_text.delta", item_id: item.id, output_index, summary_index: 0, delta })
  else emit(d, { type: "response.reasoning_text.delta", item_id: item.id, output_index, content_index: 0, delta })
  d.open = { kind: "reasoning", id: item.id, text: item.text + delta, summary: item.summary }
}

const closeReasoning = (d: Draft, item: OpenItem & { kind: "reasoning" }, status: ItemStatus): void => {
  const output_index = nextIndex(d)
  const { id, text } = item
  // The sealed copy travels with the item so a stateless client (store: false) can hand it back next turn.
  const sealed = d.ctx.sealReasoning === undefined ? {} : { encrypted_content: d.ctx.sealReasoning(text) }
  if (item.summary) {
    emit(d, { type: "response.reasoning_summary_text.done", item_id: id, output_index, summary_index: 0, text })
    emit(d, {
      type: "response.reasoning_summary_part.done",
      item_id: id,
      output_index,
      summary_index: 0,
      part: { type: "summary_text", text }
    })
    doneItem(d, { type: "reasoning", id, summary: [{ type: "summary_text", text }], ...sealed, status })
  } else {
    emit(d, { type: "response.reasoning_text.done", item_id: id, output_index, content_index: 0, text })
    emit(d, {
      type: "response.content_part.done",
      item_id: id,
      output_index,
      content_index: 0,
      part: { type: "reasoning_text", text }
    })
    doneItem(d, { type: "reasoning", id, summary: [], content: [{ type: "reasoning_text", text }], ...sealed, status })
  }
}

// ---------------------------------------------------------------- message

const emptyPart = (part: "output_text" | "refusal"): ResponseObject.OutputText | ResponseObject.Refusal =>
  part === "output_text"
    ? { type: "output_text", text: "", annotations: [], logprobs: [] }
    : { type: "refusal", refusal: "" }

const filledPart = (
  part: "output_text" | "refusal",
  text: string
): ResponseObject.OutputText | ResponseObject.Refusal =>
  part === "output_text"
    ? { type: "output_text", text, annotations: [], logprobs: [] }
    : { type: "refusal", refusal: text }

export const openMessage = (d: Draft): OpenItem & { kind: "message" } => {
  const id = d.ctx.ids(prefixFor("message"))
  addItem(d, { type: "message", id, role: "assistant", status: "in_progress", content: [] })
  const item = { kind: "message", id, parts: [], part: undefined, text: "" } as const
  d.open = item
  return item
}

/** Append text of one part kind to the open message, opening a new part when the kind changes. */
export const messageDelta = (
  d: Draft,
  item: OpenItem & { kind: "message" },
  part: "output_text" | "refusal",
  delta: string
): void => {
  const output_index = nextIndex(d)
  let current = item
  if (current.part !== part) {
    if (current.part !== undefined) current = closePart(d, current)
    emit(d, {
      type: "response.content_part.added",
      item_id: item.id,
      output_index,
      content_index: current.parts.length,
      part: emptyPart(part)
    })
  }
  const content_index = current.parts.length
  if (part === "output_text")
    emit(d, { type: "response.output_text.delta", item_id: item.id, output_index, content_index, delta, logprobs: [] })
  else emit(d, { type: "response.refusal.delta", item_id: item.id, output_index, content_index, delta })
  d.open = {
    kind: "message",
    id: item.id,
    parts: current.parts,
    part,
    text: (current.part === part ? current.text : "") + delta
  }
}

/** Close the open part, returning the message with it moved to `parts`. */
const closePart = (d: Draft, item: OpenItem & { kind: "message" }): OpenItem & { kind: "message" } => {
  if (item.part === undefined) return item
  const output_index = nextIndex(d)
  const content_index = item.parts.length
  const { id, text } = item
  if (item.part === "output_text")
    emit(d, { type: "response.output_text.done", item_id: id, output_index, content_index, text, logprobs: [] })
  else emit(d, { type: "response.refusal.done", item_id: id, output_index, content_index, refusal: text })
  const done = filledPart(item.part, text)
  emit(d, { type: "response.content_part.done", item_id: id, output_index, content_index, part: done })
  return { ...item, parts: [...item.parts, done], part: undefined, text: "" }
}

const closeMessage = (d: Draft, item: OpenItem & { kind: "message" }, status: ItemStatus): void => {
  const closed = closePart(d, item)
  doneItem(d, { type: "message", id: item.id, role: "assistant", status, content: closed.parts })
}

// ---------------------------------------------------------------- tool calls

export const openCall = (d: Draft, call: PendingCall & { readonly name: string }): OpenItem & { kind: "call" } => {
  const target = ToolMapping.resolve(d.ctx.tools, call.name)
  const callId = call.callId ?? d.ctx.ids("call")
  const ns = target.namespace === undefined ? {} : { namespace: target.namespace }
  const id = d.ctx.ids(prefixFor(target.kind === "custom" ? "custom_tool_call" : "function_call"))
  const item = { kind: "call", id, chatIndex: call.chatIndex, callId, name: call.name, target, args: "" } as const
  addItem(
    d,
    target.kind === "custom"
      ? {
          type: "custom_tool_call",
          id: item.id,
          call_id: callId,
          name: target.name,
          ...ns,
          input: "",
          status: "in_progress"
        }
      : {
          type: "function_call",
          id: item.id,
          call_id: callId,
          name: target.name,
          ...ns,
          arguments: "",
          status: "in_progress"
        }
  )
  d.open = item
  // The item with its buffered arguments applied: closing the stale one would drop them.
  return call.args !== "" ? callDelta(d, item, call.args) : item
}

/**
 * Function arguments stream as they come. A custom tool's input is the string inside `{"input": …}`, only
 * known once the JSON is whole, so it is sent as one delta at close.
 */
export const callDelta = (d: Draft, item: OpenItem & { kind: "call" }, delta: string): OpenItem & { kind: "call" } => {
  if (item.target.kind === "function") {
    emit(d, { type: "response.function_call_arguments.delta", item_id: item.id, output_index: nextIndex(d), delta })
  }
  const next = {
    kind: "call",
    id: item.id,
    chatIndex: item.chatIndex,
    callId: item.callId,
    name: item.name,
    target: item.target,
    args: item.args + delta
  } as const
  d.open = next
  return next
}

export const parsesAsJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Returns false when a completed function call's arguments are not JSON (the response then fails). */
const closeCall = (d: Draft, item: OpenItem & { kind: "call" }, status: ItemStatus): boolean => {
  const output_index = nextIndex(d)
  const ns = item.target.namespace === undefined ? {} : { namespace: item.target.namespace }
  d.closedCalls = [...d.closedCalls, item.chatIndex]
  if (item.target.kind === "custom") {
    const input = ToolMapping.customInput(item.args)
    if (input !== "")
      emit(d, { type: "response.custom_tool_call_input.delta", item_id: item.id, output_index, delta: input })
    emit(d, { type: "response.custom_tool_call_input.done", item_id: item.id, output_index, input })
    doneItem(d, {
      type: "custom_tool_call",
      id: item.id,
      call_id: item.callId,
      name: item.target.name,
      ...ns,
      input,
      status
    })
    return true
  }
  let args = item.args
  // Functions without parameters: llama-server and others stream no arguments at all.
  const missing = ChatCompletions.missingArguments(args)
  if (missing !== "") {
    callDelta(d, item, missing)
    args = missing
  }
  const valid = status !== "completed" || parsesAsJson(args)
  const finalStatus = valid ? status : "incomplete"
  emit(d, {
    type: "response.function_call_arguments.done",
    item_id: item.id,
    output_index,
    name: item.target.name,
    arguments: args
  })
  doneItem(d, {
    type: "function_call",
    id: item.id,
    call_id: item.callId,
    name: item.target.name,
    ...ns,
    arguments: args,
    status: finalStatus
  })
  return valid
}

/** Close whatever is open. Returns false when the closed item makes the response fail. */
export const closeOpen = (d: Draft, status: ItemStatus): boolean => {
  const open = d.open
  if (open === undefined) return true
  switch (open.kind) {
    case "reasoning":
      closeReasoning(d, open, status)
      return true
    case "message":
      closeMessage(d, open, status)
      return true
    case "call":
      return closeCall(d, open, status)
  }
}

/** Close the open item and replay every buffered call, in index order, each a whole item. */
export const closeAll = (d: Draft, status: ItemStatus): boolean => {
  let ok = closeOpen(d, status)
  const pending = [...d.pending].sort((a, b) => a.chatIndex - b.chatIndex)
  d.pending = []
  for (const call of pending) {
    const item = openCall(d, { ...call, name: call.name ?? "" })
    ok = closeCall(d, item, status) && ok
  }
  return ok
}
