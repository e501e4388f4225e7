/**
 * function_call and custom_tool_call items: argument / input deltas → their `.done` → `output_item.done`,
 * the `.done` and the done item equal to the concatenated deltas, completed arguments that parse as JSON.
 */
import type { Closer } from "./checkItems.js"
import type { Ctx, Item } from "./checkState.js"
import { str } from "./checkState.js"

interface CallKind {
  readonly itemType: "function_call" | "custom_tool_call"
  /** The field of the `.done` event and of the item that carries the whole text. */
  readonly key: "arguments" | "input"
  readonly doneEvent: string
}
const functionCall: CallKind = {
  itemType: "function_call",
  key: "arguments",
  doneEvent: "function_call_arguments.done"
}
const customToolCall: CallKind = {
  itemType: "custom_tool_call",
  key: "input",
  doneEvent: "custom_tool_call_input.done"
}

const stream =
  (kind: CallKind) =>
  (c: Ctx, item: Item): void => {
    if (item.type !== kind.itemType)
      return c.flag(c.index, "call.wrong-item", `${c.type} on a ${item.type || "(untyped)"} item`)
    if (item.argsDone) return c.flag(c.index, "call.after-done", `${c.type} after the ${kind.key} were done`)
    if (c.type.endsWith(".delta")) {
      item.args += str(c.event.delta)
      return
    }
    if (c.event[kind.key] !== item.args)
      c.flag(c.index, "call.delta-mismatch", `${c.type} differs from the concatenated deltas`)
    if (kind === functionCall) {
      if (c.event.name === undefined) c.flag(c.index, "call.done-name-missing", `${c.type} has no name`)
      else if (c.event.name !== item.added.name)
        c.flag(c.index, "call.name-mismatch", `${c.type} name ${JSON.stringify(c.event.name)} differs from the item's`)
    }
    item.argsDone = true
  }

/** Item-event handlers of this family, by event type. */
export const handlers = {
  "response.function_call_arguments.delta": stream(functionCall),
  "response.function_call_arguments.done": stream(functionCall),
  "response.custom_tool_call_input.delta": stream(customToolCall),
  "response.custom_tool_call_input.done": stream(customToolCall)
} as const

const close =
  (kind: CallKind): Closer =>
  (c, item, done) => {
    if (!item.argsDone) c.flag(c.index, "call.done-missing", `${kind.itemType} done without ${kind.doneEvent}`)
    if (done[kind.key] !== item.args)
      c.flag(c.index, "call.item-mismatch", `done ${kind.itemType} ${kind.key} differ from the deltas`)
    if (done.call_id !== item.added.call_id)
      c.flag(c.index, "item.call-id", `done ${kind.itemType} call_id differs from the added one`)
    if (kind === functionCall && done.status === "completed") {
      try {
        JSON.parse(str(done.arguments))
      } catch {
        c.flag(c.index, "call.arguments-json", "completed function_call arguments are not valid JSON")
      }
    }
  }

/** Done-item checks of this family, by item type. */
export const closers: Record<"function_call" | "custom_tool_call", Closer> = {
  function_call: close(functionCall),
  custom_tool_call: close(customToolCall)
}
