/**
 * The stream's frame: `response.created` / `in_progress` / `queued` at the start, the `error` event, and the
 * terminal event (`response.completed` / `incomplete` / `failed`) with its Response.
 */
import { checkResponseShape } from "./checkShape.js"
import { type Ctx, show, str } from "./checkState.js"
import { isObject, type JsonObject } from "./json.js"
import { compareModuloOpaque } from "./opaqueEqual.js"

const statuses: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "in_progress",
  "cancelled",
  "queued",
  "incomplete"
])

const terminalStatus: Record<string, ReadonlyArray<string>> = {
  "response.completed": ["completed"],
  "response.incomplete": ["incomplete"],
  // A cancelled response ends with `response.failed` too: the grammar has no other terminal for it.
  "response.failed": ["failed", "cancelled"]
}

/** Checks every lifecycle event shares: a Response, its shape, one id throughout. */
const response = (c: Ctx): JsonObject | undefined => {
  const r = c.event.response
  if (!isObject(r)) {
    c.flag(c.index, "response.missing", `${c.type} has no response object`)
    return undefined
  }
  checkResponseShape(c, r)
  if (typeof r.status !== "string" || !statuses.has(r.status))
    c.flag(c.index, "response.status", `${c.type} carries status ${show(r.status)}`)
  if (typeof r.id === "string") {
    if (c.state.responseId === undefined) c.state.responseId = r.id
    else if (r.id !== c.state.responseId)
      c.flag(
        c.index,
        "response.id-changed",
        `${c.type} carries response id ${r.id}, the stream began with ${c.state.responseId}`
      )
  }
  return r
}

/**
 * Where each opening event may stand: `response.created` first; `response.queued` second; `response.in_progress`
 * second, or third right after `response.queued` (OpenAI's order for a response that waited).
 */
const openingAt = (c: Ctx): boolean =>
  c.type === "response.created"
    ? c.index === 0
    : c.type === "response.queued"
      ? c.index === 1
      : c.index === 1 || (c.index === 2 && c.state.queued === true)

/** `response.created`, `response.in_progress`, `response.queued`. */
export const opening = (c: Ctx): void => {
  if (c.type === "response.queued" && c.index === 1) c.state.queued = true
  if (!openingAt(c)) c.flag(c.index, "stream.lifecycle-repeated", `${c.type} in the middle of the stream`)
  const r = response(c)
  if (r !== undefined && r.status !== "in_progress" && r.status !== "queued" && statuses.has(str(r.status))) {
    c.flag(c.index, "response.status", `${c.type} carries status ${show(r.status)}, expected in_progress or queued`)
  } else if (c.type === "response.queued" && r !== undefined && r.status !== "queued") {
    c.flag(c.index, "response.status", `response.queued carries status ${show(r.status)}, expected queued`)
  }
}

/** `error`: legal (OpenAI sends it before `response.failed`); its shape varies between servers, so it is only noted. */
export const error = (c: Ctx): void => {
  const body = isObject(c.event.error) ? c.event.error : c.event
  c.flag(c.index, "event.error", `the server reported an error: ${str(body.code) || "(no code)"}: ${str(body.message)}`)
}

/** `response.completed` / `response.incomplete` / `response.failed`. */
export const terminal = (c: Ctx): void => {
  const { state } = c
  state.terminal = c.index
  for (const item of state.open) c.flag(c.index, "terminal.item-open", `${c.type} while item ${item.id} is still open`)
  const r = response(c) ?? {}
  if (!(terminalStatus[c.type] ?? []).includes(str(r.status)))
    c.flag(c.index, "terminal.status", `${c.type} carries status ${show(r.status)}`)
  if (c.type === "response.incomplete" && !isObject(r.incomplete_details))
    c.flag(c.index, "terminal.incomplete-details", "response.incomplete without incomplete_details")
  const done = state.items.filter((i) => i.done !== undefined).map((i) => i.done)
  const output = compareModuloOpaque(r.output, done)
  if (output === "different")
    c.flag(c.index, "terminal.output", "terminal response.output differs from the output_item.done items")
  if (output === "opaque-differs")
    c.flag(
      c.index,
      "terminal.opaque-changed",
      "encrypted_content / fingerprint differ between output_item.done and the terminal response (re-encrypted)"
    )
  const usage = r.usage
  if (usage === null && c.type === "response.failed")
    c.flag(c.index, "terminal.usage-null-failed", "response.failed carries usage: null")
  else if (!isObject(usage)) c.flag(c.index, "terminal.usage", "terminal response has no usage")
  else if (usage.total_tokens !== Number(usage.input_tokens) + Number(usage.output_tokens)) {
    c.flag(c.index, "terminal.usage", "usage.total_tokens ≠ input_tokens + output_tokens")
  }
}
