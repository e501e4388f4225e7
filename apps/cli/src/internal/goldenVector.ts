/**
 * A capture → a stream vector in the format of `packages/translate/vectors/*.json` (vectors/README.md) with an
 * `expect` block: a vector or recording keeps its own context; a chunk file gets a fresh one, written down as
 * drawn, so that `Vector.replay` — here, in the translate suite, in any port — reproduces it exactly. Pure.
 */
import type { Vector } from "@parlance/translate"
import { isObject, type Json } from "./json.js"

const str = (v: unknown): string => (typeof v === "string" ? v : "")

/** The parts' text of an item, joined. */
const joined = (parts: unknown, key: string): string =>
  (Array.isArray(parts) ? parts : [])
    .filter(isObject)
    .map((p) => str(p[key]))
    .join("")

/** What the vector test's `checkExpect` compares for one output item. */
const expectItem = (item: Json): Json => {
  switch (item.type) {
    case "message": {
      const parts = Array.isArray(item.content) ? item.content.filter(isObject) : []
      const refusal = parts
        .filter((p) => p.type === "refusal")
        .map((p) => str(p.refusal))
        .join("")
      return {
        type: "message",
        status: item.status,
        text: parts
          .filter((p) => p.type === "output_text")
          .map((p) => str(p.text))
          .join(""),
        ...(refusal ? { refusal } : {})
      }
    }
    case "function_call":
      return { type: "function_call", name: item.name, arguments: item.arguments, status: item.status }
    case "custom_tool_call":
      return { type: "custom_tool_call", name: item.name, input: item.input, status: item.status }
    case "reasoning": {
      const summary = joined(item.summary, "text")
      return { type: "reasoning", text: joined(item.content, "text"), ...(summary ? { summary } : {}) }
    }
    default:
      return { type: item.type }
  }
}

/** The `expect` block: today's result, written down so a later change that alters it is seen. */
export const expectFor = (response: Json): Json => {
  const details = isObject(response.incomplete_details) ? response.incomplete_details : undefined
  const error = isObject(response.error) ? response.error : undefined
  return {
    status: response.status,
    output: (Array.isArray(response.output) ? response.output.filter(isObject) : []).map(expectItem),
    ...(details && typeof details.reason === "string" ? { incomplete_reason: details.reason } : {}),
    ...(error && typeof error.code === "string" ? { error_code: error.code } : {})
  }
}

/** The vector under a new name and description, with the `expect` block of its result. */
export const build = (input: {
  readonly name: string
  readonly description: string
  readonly vector: Vector.StreamVector
}): Vector.StreamVector => {
  const { kind, context, request, chatRequest, chunks, outcome, events } = input.vector
  const terminal = events[events.length - 1]
  const response = isObject(terminal) && isObject(terminal.response) ? terminal.response : {}
  return {
    kind,
    name: input.name,
    description: input.description,
    context,
    ...(request !== undefined ? { request } : {}),
    ...(chatRequest !== undefined ? { chatRequest } : {}),
    chunks,
    ...(outcome !== undefined ? { outcome } : {}),
    expect: expectFor(response) as Vector.StreamVector["expect"] & object,
    events
  }
}
