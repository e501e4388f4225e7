/**
 * `validateStream`: judges ANY server's Responses event stream against the grammar of DESIGN §2 and returns
 * every violation with its event index. It powers our tests and `parlance check` against other servers, so it
 * assumes nothing about the input: every field is checked before it is used.
 * @since 0.1.0
 */
import { OpenAiError, ResponseEvents } from "@parlance/schema"
import * as Schema from "effect/Schema"
import { deepEqual } from "./internal/deepEqual.js"
import { isObject, type JsonObject } from "./internal/json.js"

/** @category models */
export interface Violation {
  /** Index of the offending event in the stream (the stream's length for "ended without…"). */
  readonly index: number
  /** Which invariant of DESIGN §2 (1–8) or `schema`. */
  readonly rule: string
  readonly message: string
}

/** @category models */
export interface Options {
  /** The SSE `event:` name of each event, when validating a raw SSE capture (invariant 1). */
  readonly eventNames?: ReadonlyArray<string | undefined>
  /** Check each event against the strict event schema (default true). */
  readonly schema?: boolean
}

type Json = JsonObject
const str = (v: unknown): string => (typeof v === "string" ? v : "")

interface Part {
  readonly type: string
  text: string
  textDone: boolean
  done: boolean
}
interface OpenItem {
  readonly id: string
  readonly outputIndex: number
  readonly type: string
  readonly item: Json
  readonly parts: Array<Part>
  readonly summaries: Array<Part>
  args: string
  argsDone: boolean
}

const terminalStatus: Record<string, ReadonlyArray<string>> = {
  "response.completed": ["completed"],
  "response.incomplete": ["incomplete"],
  // A cancelled response ends with `response.failed` too: the grammar has no other terminal for it.
  "response.failed": ["failed", "cancelled"]
}

const decodeEvent = Schema.decodeUnknownEither(ResponseEvents.ResponseStreamEvent)

/** @category validation */
export const validateStream = (events: ReadonlyArray<unknown>, options: Options = {}): ReadonlyArray<Violation> => {
  const out: Array<Violation> = []
  const flag = (index: number, rule: string, message: string) => out.push({ index, rule, message })
  const doneItems: Array<unknown> = []
  const seenIds = new Set<string>()
  let added = 0
  let open: OpenItem | undefined
  let terminal = -1

  events.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.type !== "string") return flag(i, "1", "event is not an object with a string `type`")
    const e = raw
    const type = e.type as string
    const name = options.eventNames?.[i]
    if (options.eventNames !== undefined && name !== type) flag(i, "1", `SSE event name ${JSON.stringify(name)} differs from type ${type}`)
    if (e.sequence_number !== i) flag(i, "1", `sequence_number is ${JSON.stringify(e.sequence_number)}, expected ${i}`)
    if (options.schema !== false && type !== "error") {
      const decoded = decodeEvent(e)
      if (decoded._tag === "Left") {
        const best = OpenAiError.deepestIssue(decoded.left)
        flag(i, "schema", `${type} does not match the event schema at ${best?.path.join(".") || "(root)"}: ${best?.message ?? ""}`)
      }
    }
    if (terminal >= 0) return flag(i, "6", `${type} after the terminal event`)
    if (i === 0 && type !== "response.created") flag(i, "grammar", `stream starts with ${type}, expected response.created`)
    if (i === 1 && type !== "response.in_progress" && type !== "response.queued") flag(i, "grammar", `second event is ${type}, expected response.in_progress`)

    const itemEvent = "item_id" in e || type.startsWith("response.output_item.")
    if (itemEvent && type !== "response.output_item.added") {
      if (open === undefined) return flag(i, "2", `${type} for item ${str(e.item_id) || str((e.item as Json | undefined)?.id)} that is not open (missing response.output_item.added)`)
      const itemId = type.startsWith("response.output_item.") ? str((e.item as Json | undefined)?.id) : str(e.item_id)
      if (itemId !== open.id) flag(i, "3", `${type} carries item_id ${JSON.stringify(itemId)}, the open item is ${open.id}`)
      if (e.output_index !== open.outputIndex) flag(i, "3", `${type} carries output_index ${JSON.stringify(e.output_index)}, expected ${open.outputIndex}`)
    }

    switch (type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        if (i > 2) flag(i, "grammar", `${type} in the middle of the stream`)
        if (!isObject(e.response)) flag(i, "grammar", `${type} has no response object`)
        return
      case "response.output_item.added": {
        const item = e.item
        if (!isObject(item)) return flag(i, "grammar", "output_item.added without an item")
        if (open !== undefined) flag(i, "2", `item ${str(item.id)} added while item ${open.id} is still open (items interleave)`)
        if (e.output_index !== added) flag(i, "3", `output_index ${JSON.stringify(e.output_index)}, expected ${added}`)
        const id = str(item.id)
        if (id === "") flag(i, "3", "added item has no id")
        if (seenIds.has(id)) flag(i, "3", `duplicate item id ${id}`)
        seenIds.add(id)
        if (item.status !== "in_progress") flag(i, "5", `added item has status ${JSON.stringify(item.status)}, expected in_progress`)
        if ((item.type === "function_call" || item.type === "custom_tool_call") && str(item.call_id) === "") flag(i, "3", `${str(item.type)} item has no call_id`)
        open = { id, outputIndex: added, type: str(item.type), item, parts: [], summaries: [], args: "", argsDone: false }
        added++
        return
      }
      case "response.content_part.added":
      case "response.reasoning_summary_part.added": {
        const list = type === "response.content_part.added" ? open!.parts : open!.summaries
        const index = type === "response.content_part.added" ? e.content_index : e.summary_index
        if (index !== list.length) flag(i, "3", `${type} index ${JSON.stringify(index)}, expected ${list.length} (dense)`)
        if (list.some((p) => !p.done)) flag(i, "2", `${type} while an earlier part is still open`)
        const part = isObject(e.part) ? e.part : {}
        list.push({ type: str(part.type), text: "", textDone: false, done: false })
        return
      }
      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.reasoning_text.delta":
      case "response.output_text.done":
      case "response.refusal.done":
      case "response.reasoning_text.done": {
        const family = type.slice("response.".length, type.lastIndexOf("."))
        const expectedPart = family === "refusal" ? "refusal" : family
        const part = open!.parts[typeof e.content_index === "number" ? e.content_index : -1]
        if (part === undefined || part.done) return flag(i, "grammar", `${type} for content_index ${JSON.stringify(e.content_index)} that is not an open part`)
        if (part.type !== expectedPart) flag(i, "grammar", `${type} on a ${part.type} part`)
        if (type.endsWith(".delta")) {
          if (part.textDone) flag(i, "grammar", `${type} after the part's text was done`)
          part.text += str(e.delta)
        } else {
          const text = family === "refusal" ? e.refusal : e.text
          if (text !== part.text) flag(i, "4", `${type} text differs from the concatenated deltas`)
          part.textDone = true
        }
        return
      }
      case "response.content_part.done":
      case "response.reasoning_summary_part.done": {
        const isContent = type === "response.content_part.done"
        const list = isContent ? open!.parts : open!.summaries
        const part = list[(isContent ? e.content_index : e.summary_index) as number]
        if (part === undefined || part.done) return flag(i, "grammar", `${type} for a part that is not open`)
        if (!part.textDone) flag(i, "grammar", `${type} before the part's text .done event`)
        const p = isObject(e.part) ? e.part : {}
        if ((p.type === "refusal" ? p.refusal : p.text) !== part.text) flag(i, "4", `${type} part differs from its deltas`)
        part.done = true
        return
      }
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_summary_text.done": {
        const part = open!.summaries[e.summary_index as number]
        if (part === undefined || part.done) return flag(i, "grammar", `${type} for a summary part that is not open`)
        if (type.endsWith(".delta")) part.text += str(e.delta)
        else {
          if (e.text !== part.text) flag(i, "4", `${type} text differs from the concatenated deltas`)
          part.textDone = true
        }
        return
      }
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta":
      case "response.function_call_arguments.done":
      case "response.custom_tool_call_input.done": {
        const want = type.startsWith("response.function_call") ? "function_call" : "custom_tool_call"
        if (open!.type !== want) flag(i, "grammar", `${type} on a ${open!.type} item`)
        if (open!.argsDone) flag(i, "grammar", `${type} after the arguments were done`)
        if (type.endsWith(".delta")) open!.args += str(e.delta)
        else {
          const value = want === "function_call" ? e.arguments : e.input
          if (value !== open!.args) flag(i, "4", `${type} differs from the concatenated deltas`)
          if (want === "function_call" && e.name !== undefined && e.name !== open!.item.name) flag(i, "4", `${type} name differs from the item's`)
          open!.argsDone = true
        }
        return
      }
      case "response.output_item.done": {
        const item = isObject(e.item) ? e.item : {}
        const o = open!
        o.parts.concat(o.summaries).forEach((p, k) => {
          if (!p.done) flag(i, "grammar", `output_item.done while part ${k} is still open`)
        })
        if (item.status !== "completed" && item.status !== "incomplete") flag(i, "5", `done item has status ${JSON.stringify(item.status)}`)
        if (item.type !== o.type) flag(i, "4", `done item type ${str(item.type)} differs from the added ${o.type}`)
        checkDoneItem(i, item, o, flag)
        doneItems.push(item)
        open = undefined
        return
      }
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        terminal = i
        if (open !== undefined) flag(i, "2", `${type} while item ${open.id} is still open`)
        const response = isObject(e.response) ? e.response : {}
        if (!terminalStatus[type]!.includes(str(response.status))) flag(i, "6", `${type} carries status ${JSON.stringify(response.status)}`)
        if (type === "response.incomplete" && !isObject(response.incomplete_details)) flag(i, "6", "response.incomplete without incomplete_details")
        if (!deepEqual(response.output, doneItems)) flag(i, "6", "terminal response.output differs from the output_item.done items")
        const usage = response.usage
        if (!isObject(usage)) flag(i, "6", "terminal response has no usage")
        else if (usage.total_tokens !== Number(usage.input_tokens) + Number(usage.output_tokens)) flag(i, "6", "usage.total_tokens ≠ input_tokens + output_tokens")
        return
      }
      case "error":
        return
      default:
        if (!itemEvent) flag(i, "grammar", `unexpected event type ${type}`)
    }
  })
  if (open !== undefined) flag(events.length, "2", `stream ended with item ${open.id} still open`)
  if (terminal < 0) flag(events.length, "6", "stream ended without a terminal event (response.completed / incomplete / failed)")
  return out
}

const checkDoneItem = (
  i: number,
  item: Json,
  o: OpenItem,
  flag: (index: number, rule: string, message: string) => void
): void => {
  const texts = (list: unknown): Array<string> =>
    Array.isArray(list) ? list.map((p) => (isObject(p) ? str(p.type === "refusal" ? p.refusal : p.text) : "")) : []
  switch (o.type) {
    case "message":
      if (!deepEqual(texts(item.content), o.parts.map((p) => p.text))) flag(i, "4", "done message content differs from its parts' deltas")
      return
    case "reasoning":
      if (o.parts.length > 0 && !deepEqual(texts(item.content), o.parts.map((p) => p.text))) flag(i, "4", "done reasoning content differs from its deltas")
      if (o.summaries.length > 0 && !deepEqual(texts(item.summary), o.summaries.map((p) => p.text))) flag(i, "4", "done reasoning summary differs from its deltas")
      return
    case "function_call": {
      if (!o.argsDone) flag(i, "grammar", "function_call done without function_call_arguments.done")
      if (item.arguments !== o.args) flag(i, "4", "done function_call arguments differ from the deltas")
      if (item.call_id !== o.item.call_id) flag(i, "4", "done function_call call_id differs from the added one")
      if (item.status === "completed") {
        try {
          JSON.parse(str(item.arguments))
        } catch {
          flag(i, "4", "completed function_call arguments are not valid JSON")
        }
      }
      return
    }
    case "custom_tool_call":
      if (!o.argsDone) flag(i, "grammar", "custom_tool_call done without custom_tool_call_input.done")
      if (item.input !== o.args) flag(i, "4", "done custom_tool_call input differs from the deltas")
      return
  }
}
