/**
 * Content parts (message text and refusals, reasoning text) and reasoning summary parts:
 * `*_part.added` → text deltas → text `.done` → `*_part.done`, dense indexes, one part open at a time, and
 * the done message / reasoning item equal to what was streamed.
 */
import type { Closer } from "./checkItems.js"
import { type Ctx, type Item, type Part, show, str } from "./checkState.js"
import { isObject } from "./json.js"
import { deepEqual } from "./deepEqual.js"

/** Content parts (`content_index`) or summary parts (`summary_index`), and the part kinds each known item type may hold. */
interface PartList {
  readonly list: "parts" | "summaries"
  readonly indexKey: "content_index" | "summary_index"
  /** Item types not listed (hosted tools) may hold any kind. */
  readonly kinds: Readonly<Record<string, ReadonlyArray<string>>>
}
const content: PartList = {
  list: "parts",
  indexKey: "content_index",
  kinds: { message: ["output_text", "refusal"], reasoning: ["reasoning_text"], function_call: [], custom_tool_call: [] }
}
const summary: PartList = {
  list: "summaries",
  indexKey: "summary_index",
  kinds: { message: [], reasoning: ["summary_text"], function_call: [], custom_tool_call: [] }
}

const partText = (p: unknown): string => (isObject(p) ? str(p.type === "refusal" ? p.refusal : p.text) : "")

/** The part an event points at; without an index (some servers omit it) the list's last part, after flagging. */
const target = (c: Ctx, item: Item, family: PartList): Part | undefined => {
  const list = item[family.list]
  const index = c.event[family.indexKey]
  if (typeof index !== "number") {
    c.flag(c.index, "part.index", `${c.type} carries no ${family.indexKey}`)
    return list.at(-1)
  }
  return list[index]
}

const partAdded =
  (family: PartList) =>
  (c: Ctx, item: Item): void => {
    const list = item[family.list]
    const index = c.event[family.indexKey]
    if (index !== list.length) {
      c.flag(
        c.index,
        "part.index",
        `${c.type} ${index === undefined ? `carries no ${family.indexKey}` : `${family.indexKey} ${show(index)}`}, expected ${list.length} (dense)`
      )
    }
    if (list.some((p) => !p.done)) c.flag(c.index, "part.overlap", `${c.type} while an earlier part is still open`)
    const kind = isObject(c.event.part) ? str(c.event.part.type) : ""
    const allowed = family.kinds[item.type]
    if (allowed !== undefined && !allowed.includes(kind))
      c.flag(c.index, "part.kind", `${c.type} adds a ${kind || "(untyped)"} part to a ${item.type} item`)
    list.push({ kind, text: "", textDone: false, done: false })
  }

const partDone =
  (family: PartList) =>
  (c: Ctx, item: Item): void => {
    const part = target(c, item, family)
    if (part === undefined || part.done)
      return c.flag(c.index, "part.not-open", `${c.type} for a part that is not open`)
    if (!part.textDone) c.flag(c.index, "part.done-early", `${c.type} before the part's text .done event`)
    if (partText(c.event.part) !== part.text)
      c.flag(c.index, "part.done-mismatch", `${c.type} part differs from its deltas`)
    part.done = true
  }

/** A text event family: its part list, the part kind it writes, and where its `.done` carries the text. */
const text =
  (family: PartList, kind: string, doneKey: "text" | "refusal") =>
  (c: Ctx, item: Item): void => {
    const part = target(c, item, family)
    if (part === undefined || part.done)
      return c.flag(
        c.index,
        "part.not-open",
        `${c.type} for ${family.indexKey} ${show(c.event[family.indexKey])} that is not an open part`
      )
    if (part.kind !== kind) c.flag(c.index, "part.kind", `${c.type} on a ${part.kind || "(untyped)"} part`)
    if (part.textDone) return c.flag(c.index, "part.after-text-done", `${c.type} after the part's text was done`)
    if (c.type.endsWith(".delta")) {
      part.text += str(c.event.delta)
      return
    }
    if (c.event[doneKey] !== part.text)
      c.flag(c.index, "part.text-mismatch", `${c.type} text differs from the concatenated deltas`)
    part.textDone = true
  }

/** Item-event handlers of this family, by event type. */
export const handlers = {
  "response.content_part.added": partAdded(content),
  "response.content_part.done": partDone(content),
  "response.output_text.delta": text(content, "output_text", "text"),
  "response.output_text.done": text(content, "output_text", "text"),
  "response.refusal.delta": text(content, "refusal", "refusal"),
  "response.refusal.done": text(content, "refusal", "refusal"),
  "response.reasoning_text.delta": text(content, "reasoning_text", "text"),
  "response.reasoning_text.done": text(content, "reasoning_text", "text"),
  "response.reasoning_summary_part.added": partAdded(summary),
  "response.reasoning_summary_part.done": partDone(summary),
  "response.reasoning_summary_text.delta": text(summary, "summary_text", "text"),
  "response.reasoning_summary_text.done": text(summary, "summary_text", "text")
} as const

const texts = (list: unknown): Array<string> => (Array.isArray(list) ? list.map(partText) : [])
const streamed = (parts: ReadonlyArray<Part>): Array<string> => parts.map((p) => p.text)

/** Done-item checks of this family, by item type. */
export const closers: Record<"message" | "reasoning", Closer> = {
  message: (c, item, done) => {
    if (!deepEqual(texts(done.content), streamed(item.parts)))
      c.flag(c.index, "item.content-mismatch", "done message content differs from its parts' deltas")
  },
  // Reasoning may arrive whole (encrypted, or summarised later): only what was streamed is compared.
  reasoning: (c, item, done) => {
    if (item.parts.length > 0 && !deepEqual(texts(done.content), streamed(item.parts)))
      c.flag(c.index, "item.content-mismatch", "done reasoning content differs from its deltas")
    if (item.summaries.length > 0 && !deepEqual(texts(done.summary), streamed(item.summaries))) {
      c.flag(c.index, "item.content-mismatch", "done reasoning summary differs from its deltas")
    }
  }
}
