/**
 * The generic item lifecycle, for every item type: `output_item.added` → the item's events → `output_item.done`,
 * no interleaving, ids and output indexes consistent. Bodies of the four item types the grammar knows are
 * checked at `done` by their family's closer (`Closer`).
 */
import { type Ctx, current, type Item, show, str, strictItemTypes } from "./checkState.js"
import { isObject, type JsonObject } from "./json.js"

/** Checks a done item's body against what was streamed for it. */
export type Closer = (c: Ctx, item: Item, done: JsonObject) => void

const carries = (outputIndex: unknown): string =>
  outputIndex === undefined ? "carries no output_index" : `carries output_index ${show(outputIndex)}`

const noteUnknownItem = (c: Ctx, type: string): void => {
  const key = `item:${type}`
  if (c.state.noted.has(key)) return
  c.state.noted.add(key)
  c.flag(
    c.index,
    "item.unknown-type",
    `${type || "(untyped)"} items are not in the grammar: checked for their lifecycle only`
  )
}

export const added = (c: Ctx): void => {
  const { state } = c
  const item = c.event.item
  if (!isObject(item)) return c.flag(c.index, "response.missing", "output_item.added without an item")
  const open = current(state)
  const id = str(item.id)
  if (open !== undefined)
    c.flag(c.index, "item.interleaved", `item ${id} added while item ${open.id} is still open (items interleave)`)
  if (c.event.output_index !== state.items.length)
    c.flag(
      c.index,
      "item.output-index",
      `output_item.added ${carries(c.event.output_index)}, expected ${state.items.length}`
    )
  if (id === "") c.flag(c.index, "item.id", "added item has no id")
  else if (state.byId.has(id)) c.flag(c.index, "item.id", `duplicate item id ${id}`)
  const type = str(item.type)
  // A compaction item (OpenAI's, and the spec's) has no status: only its lifecycle is checked.
  if (type === "compaction") {
    if (typeof item.encrypted_content !== "string")
      c.flag(c.index, "compaction.shape", "added compaction item has no string encrypted_content")
  } else if (!strictItemTypes.has(type)) noteUnknownItem(c, type)
  else if (type === "reasoning" && item.status === undefined)
    c.flag(c.index, "item.status-missing", "added reasoning item has no status")
  else if (item.status !== "in_progress")
    c.flag(c.index, "item.status", `added ${type} has status ${show(item.status)}, expected in_progress`)
  if ((type === "function_call" || type === "custom_tool_call") && str(item.call_id) === "")
    c.flag(c.index, "item.call-id", `${type} item has no call_id`)
  const entry: Item = {
    id,
    outputIndex: state.items.length,
    type,
    added: item,
    parts: [],
    summaries: [],
    args: "",
    argsDone: false,
    done: undefined
  }
  state.items.push(entry)
  if (id !== "" && !state.byId.has(id)) state.byId.set(id, entry)
  state.open.push(entry)
}

/** The done status rules of the four known item types. */
const doneStatus = (c: Ctx, item: Item, done: JsonObject): void => {
  if (!strictItemTypes.has(item.type)) return
  const status = done.status
  if (status === "completed" || status === "incomplete") return
  if (item.type === "reasoning" && status === undefined)
    return c.flag(c.index, "item.status-missing", "done reasoning item has no status")
  // A call made by a program (OpenAI's programmatic tool calling) is closed while the program still runs.
  if (item.type === "function_call" && status === "in_progress" && done.caller !== undefined) {
    return c.flag(c.index, "call.caller-status", `done function_call ${item.id} (caller set) has status in_progress`)
  }
  c.flag(c.index, "item.status", `done ${item.type} has status ${show(status)}, expected completed or incomplete`)
}

export const makeDone =
  (closers: Readonly<Record<string, Closer>>) =>
  (c: Ctx, item: Item): void => {
    const done = isObject(c.event.item) ? c.event.item : {}
    ;[...item.parts, ...item.summaries].forEach((p, k) => {
      if (!p.done) c.flag(c.index, "item.parts-open", `output_item.done while part ${k} is still open`)
    })
    if (done.type !== item.type)
      c.flag(c.index, "item.type-changed", `done item type ${show(done.type)} differs from the added ${item.type}`)
    else {
      doneStatus(c, item, done)
      closers[item.type]?.(c, item, done)
    }
    item.done = done
    const at = c.state.open.indexOf(item)
    if (at >= 0) c.state.open.splice(at, 1)
  }

/**
 * The item an item event belongs to (by `item_id`, else `output_index`), or undefined after flagging why there
 * is none. An event for an open item other than the current one is flagged, and still checked against its item.
 */
export const bind = (c: Ctx): Item | undefined => {
  const { state, event, type } = c
  const ref = type === "response.output_item.done" ? (isObject(event.item) ? event.item.id : undefined) : event.item_id
  const byIndex = typeof event.output_index === "number" ? state.items[event.output_index] : undefined
  const item = typeof ref === "string" ? state.byId.get(ref) : byIndex
  const open = current(state)
  if (item === undefined) {
    if (ref === undefined && byIndex === undefined && typeof event.output_index !== "number") {
      c.flag(c.index, "item.unbound", `${type} carries neither item_id nor output_index`)
    } else if (open !== undefined && typeof ref === "string") {
      c.flag(c.index, "item.unknown-id", `${type} carries item_id ${show(ref)}, the open item is ${open.id}`)
    } else {
      c.flag(
        c.index,
        "item.not-open",
        `${type} for item ${str(ref) || `#${show(event.output_index)}`} that is not open (missing response.output_item.added)`
      )
    }
    if (typeof event.output_index === "number" && byIndex === undefined) {
      c.flag(
        c.index,
        "item.output-index",
        `${type} carries output_index ${event.output_index}, which no added item has`
      )
    }
    return undefined
  }
  if (item.done !== undefined) {
    c.flag(c.index, "item.not-open", `${type} for item ${item.id} that is not open (it is already done)`)
    return undefined
  }
  if (item !== open)
    c.flag(
      c.index,
      "item.not-current",
      `${type} for item ${item.id} while item ${open?.id ?? "(none)"} is the current one (items interleave)`
    )
  if (event.output_index !== item.outputIndex) {
    c.flag(c.index, "item.output-index", `${type} ${carries(event.output_index)}, expected ${item.outputIndex}`)
  }
  return item
}

/** `response.compaction.compacting`: only on a compaction item, between its added and done. */
export const compacting = (c: Ctx, item: Item): void => {
  if (item.type !== "compaction")
    c.flag(c.index, "compaction.wrong-item", `${c.type} on item ${item.id}, a ${item.type || "(untyped)"} item`)
}
