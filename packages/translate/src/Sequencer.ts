/**
 * The stream-fold sequencer (docs/architecture.md#sequencer): Chat Completions chunks in, a strictly ordered Responses
 * event stream out. A pure fold — `initial`, `step` — with ids and clock injected through the context;
 * the same fold drives streaming (`Stream.mapAccum`) and non-streaming (`run`).
 * @since 0.1.0
 */
import type { ChatCompletions, ResponseEvents, ResponseObject } from "@parlance/schema"
import * as FinishReason from "./FinishReason.js"
import * as Ids from "./Ids.js"
import * as S from "./internal/sequencerState.js"
import * as ResponseSnapshot from "./ResponseSnapshot.js"
import * as Usage from "./Usage.js"

type Event = ResponseEvents.ResponseStreamEvent
type Chunk = ChatCompletions.ChatCompletionChunk

/** @category models */
export type Context = S.Context
/** @category models */
export type State = S.State

/** The upstream ended (its `[DONE]`, or the end of its body). @category models */
export interface End {
  readonly _tag: "End"
}
/** The upstream failed after the stream began (dropped connection, error event, malformed chunk…). @category models */
export interface Failed {
  readonly _tag: "Failed"
  readonly code: string
  readonly message: string
}
/** Generation was stopped on purpose (cancel, client gone, server draining). @category models */
export interface Aborted {
  readonly _tag: "Aborted"
  readonly message?: string
}
/** @category models */
export type Control = End | Failed | Aborted
/** @category models */
export type Input = Chunk | Control

/** @category constructors */
export const end: End = { _tag: "End" }
/** @category constructors */
export const failed = (code: string, message: string): Failed => ({ _tag: "Failed", code, message })
/** @category constructors */
export const aborted = (message?: string): Aborted =>
  message === undefined ? { _tag: "Aborted" } : { _tag: "Aborted", message }

const isControl = (input: Input): input is Control => "_tag" in input

/** @category constructors */
export const initial = (ctx: Context): State => ({
  ctx,
  phase: "new",
  seq: 0,
  output: [],
  open: undefined,
  pending: [],
  closedCalls: [],
  finishReason: undefined,
  usage: undefined,
  failure: undefined,
  summary: "",
  base: ResponseSnapshot.make({ id: ctx.responseId, createdAt: ctx.createdAt, model: ctx.model, echo: ctx.echo ?? {} })
})

/** `response.created` + `response.in_progress`, sent before the first chunk to keep time-to-first-event low. */
export const start = (state: State): readonly [State, ReadonlyArray<Event>] => {
  const d = S.draft(state)
  S.ensureStarted(d)
  return S.finishDraft(d)
}

/**
 * `response.created` + `response.queued` (status `queued`): the request waits (every engine sequence busy, a
 * background response not yet picked up). `response.in_progress` comes with the first input, as OpenAI orders them.
 */
export const startQueued = (state: State): readonly [State, ReadonlyArray<Event>] => {
  const d = S.draft(state)
  S.startQueued(d)
  return S.finishDraft(d)
}

/** One input → the events it implies. Inputs after the terminal event yield nothing. */
export const step = (state: State, input: Input): readonly [State, ReadonlyArray<Event>] => stepAll(state, [input])

/**
 * Many inputs → their events: exactly `step` applied in turn, with one draft for the whole batch instead of a
 * state per input (the hot path folds a network read's worth of chunks at a time).
 */
export const stepAll = (state: State, inputs: Iterable<Input>): readonly [State, ReadonlyArray<Event>] => {
  if (state.phase === "done") return [state, []]
  const d = S.draft(state)
  S.ensureStarted(d)
  for (const input of inputs) {
    if (d.phase === "done") break
    if (isControl(input)) terminate(d, input)
    else stepChunk(d, input)
  }
  return S.finishDraft(d)
}

/**
 * How the generation ended → the closing events (open items closed, exactly one terminal event); nothing when
 * the terminal event was already sent. The explicit end of the fold for a driver that stops pulling (a client
 * gone, a drain), where there is no next `step`.
 */
export const finish = (state: State, outcome: Control): ReadonlyArray<Event> => step(state, outcome)[1]

const fail = (d: S.Draft, code: string, message: string): void => {
  if (d.failure === undefined) d.failure = { code, message }
}

/** Close everything; a completed function call whose arguments are not JSON makes the response fail. */
const failOnInvalidArguments = (d: S.Draft, valid: boolean): void => {
  if (!valid) fail(d, "invalid_tool_arguments", "The model produced function-call arguments that are not valid JSON.")
}

const closeAll = (d: S.Draft, status: "completed" | "incomplete"): void => {
  failOnInvalidArguments(d, S.closeAll(d, status))
}

const stepChunk = (d: S.Draft, chunk: Chunk): void => {
  if (chunk.usage != null) d.usage = chunk.usage
  if (!Array.isArray(chunk.choices)) return
  for (const choice of chunk.choices) {
    // n > 1 is refused before generation; extra choices from a misbehaving upstream are ignored.
    if ((choice.index ?? 0) !== 0 || d.phase !== "open" || d.failure !== undefined) continue
    const delta: ChatCompletions.ChatDelta = choice.delta ?? {}
    if (d.ctx.sealCompaction !== undefined) {
      // Compaction: the text is the summary; reasoning and (unoffered) tool calls are not part of it.
      if (typeof delta.content === "string") d.summary += delta.content
      if (choice.finish_reason != null) {
        d.finishReason = choice.finish_reason
        d.phase = "finished"
      }
      continue
    }
    const reasoning = delta.reasoning_content ?? delta.reasoning
    if (typeof reasoning === "string" && reasoning !== "") onReasoning(d, reasoning)
    if (typeof delta.content === "string" && delta.content !== "") onText(d, "output_text", delta.content)
    if (typeof delta.refusal === "string" && delta.refusal !== "") onText(d, "refusal", delta.refusal)
    if (delta.tool_calls != null) delta.tool_calls.forEach((call, position) => onToolCall(d, call, position))
    if (choice.finish_reason != null) {
      d.finishReason = choice.finish_reason
      d.phase = "finished"
      closeAll(d, FinishReason.toEnding(choice.finish_reason).status)
    }
  }
}

const onReasoning = (d: S.Draft, text: string): void => {
  const open = d.open?.kind === "reasoning" ? d.open : (closeAll(d, "completed"), S.openReasoning(d))
  S.reasoningDelta(d, open, text)
}

const onText = (d: S.Draft, part: "output_text" | "refusal", text: string): void => {
  const open = d.open?.kind === "message" ? d.open : (closeAll(d, "completed"), S.openMessage(d))
  S.messageDelta(d, open, part, text)
}

/**
 * Tool-call deltas. The open call stays live; deltas for another index are buffered until the open call's
 * arguments parse as complete JSON (then it closes and the new one opens) or the choice finishes.
 */
const onToolCall = (d: S.Draft, call: ChatCompletions.ChatToolCallDelta, position: number): void => {
  let index = typeof call.index === "number" ? call.index : position
  const name = call.function?.name || undefined
  const args = call.function?.arguments ?? ""
  const id = call.id || undefined
  const open = d.open
  const openAtIndex = open?.kind === "call" && open.chatIndex === index ? open : undefined
  // Some servers (Ollama, some gateways) send every complete call at index 0: a new id means a new call.
  const restarted =
    openAtIndex !== undefined && id !== undefined && id !== openAtIndex.callId && S.parsesAsJson(openAtIndex.args)
  if (d.closedCalls.includes(index) || restarted) {
    if (id === undefined && name === undefined) {
      if (args !== "")
        fail(d, "upstream_protocol_error", `The upstream sent arguments for tool call ${index} after it ended.`)
      return
    }
    index = Math.max(...d.closedCalls, ...d.pending.map((p) => p.chatIndex), openAtIndex?.chatIndex ?? 0, index) + 1
  }
  if (open?.kind === "call" && open.chatIndex === index) {
    if (args !== "") S.callDelta(d, open, args)
    return
  }
  const earlier = d.pending.find((p) => p.chatIndex === index)
  const merged: S.PendingCall = {
    chatIndex: index,
    callId: earlier?.callId ?? id,
    name: earlier?.name ?? name,
    args: (earlier?.args ?? "") + args
  }
  const pending = [...d.pending.filter((p) => p.chatIndex !== index), merged]
  const canOpen = merged.name !== undefined && (open?.kind !== "call" || S.parsesAsJson(open.args))
  if (!canOpen) {
    d.pending = pending
    return
  }
  if (open !== undefined) failOnInvalidArguments(d, S.closeOpen(d, "completed"))
  // The lowest buffered index goes live next, so interleaved calls still come out in index order.
  const next = pending.filter((p) => p.name !== undefined).reduce((a, b) => (b.chatIndex < a.chatIndex ? b : a))
  d.pending = pending.filter((p) => p !== next)
  S.openCall(d, { ...next, name: next.name! })
}

const terminate = (d: S.Draft, control: Control): void => {
  switch (control._tag) {
    case "Failed":
      fail(d, control.code, control.message)
      break
    case "Aborted":
      if (d.failure === undefined)
        d.failure = {
          code: "cancelled",
          message: control.message ?? "The response was cancelled.",
          status: "cancelled"
        }
      break
    case "End":
      break
  }
  const ending = FinishReason.toEnding(d.finishReason)
  closeAll(d, d.failure === undefined ? ending.status : "incomplete")
  if (d.ctx.sealCompaction !== undefined && d.failure === undefined && ending.status === "completed")
    closeCompaction(d, d.ctx.sealCompaction)
  d.phase = "done"
  const usage = Usage.fromChat(d.usage)
  if (d.failure !== undefined) {
    const { code, message, status } = d.failure
    emit(d, "response.failed", { status: status ?? "failed", error: { code, message }, usage })
  } else if (ending.status === "incomplete") {
    emit(d, "response.incomplete", { status: "incomplete", incomplete_details: { reason: ending.reason }, usage })
  } else {
    emit(d, "response.completed", { status: "completed", completed_at: d.ctx.clock?.() ?? d.ctx.createdAt, usage })
  }
}

/** The one `compaction` item of a compaction response; a model that wrote nothing fails the response instead. */
const closeCompaction = (d: S.Draft, seal: (summary: string) => string): void => {
  const summary = d.summary.trim()
  if (summary === "") return fail(d, "empty_summary", "The model wrote no summary of the conversation.")
  const item: ResponseObject.Compaction = {
    type: "compaction",
    id: d.ctx.ids(Ids.prefixFor("compaction")),
    encrypted_content: seal(summary)
  }
  S.addItem(d, item)
  S.doneItem(d, item)
}

const emit = (
  d: S.Draft,
  type: "response.completed" | "response.incomplete" | "response.failed",
  patch: Partial<ResponseObject.Response>
): void => S.emit(d, { type, response: S.snapshot(d, patch) })

/** The Response a terminal event carries, or undefined for any other event. */
export const terminalResponse = (event: Event): ResponseObject.Response | undefined =>
  event.type === "response.completed" || event.type === "response.incomplete" || event.type === "response.failed"
    ? event.response
    : undefined

/**
 * Fold a whole input sequence (the non-streaming path; also the replay of a recorded chunk file).
 * An input that ends without a control input is ended with `End`.
 */
export const run = (
  ctx: Context,
  inputs: Iterable<Input>
): { readonly events: ReadonlyArray<Event>; readonly response: ResponseObject.Response } => {
  let state = initial(ctx)
  const events: Array<Event> = []
  for (const input of inputs) {
    const [next, out] = step(state, input)
    state = next
    for (const e of out) events.push(e)
  }
  for (const e of finish(state, end)) events.push(e)
  return { events, response: terminalResponse(events[events.length - 1])! }
}
