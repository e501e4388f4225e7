/**
 * A capture's chunks → a golden vector in the format of `packages/translate/test/vectors/*.json`
 * (`{ name, description, context?, chunks, outcome?, expect, events }`), replayed with the vectors'
 * deterministic context so the translate test suite reproduces it exactly. Pure.
 */
import { Sequencer } from "@parlance/translate"
import { toInput, vectorContext, type VectorContext } from "./replayCapture.js"
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

export interface VectorInput {
  readonly name: string
  readonly description: string
  readonly chunks: ReadonlyArray<unknown>
  readonly outcome?: Json | undefined
  readonly context?: VectorContext | undefined
}

/** Build the vector; `warnings` says what could not be carried over (a vector ends only by `Failed`). */
export const build = (input: VectorInput): { readonly vector: Json; readonly warnings: ReadonlyArray<string> } => {
  const warnings: Array<string> = []
  const failed =
    input.outcome?._tag === "Failed"
      ? { _tag: "Failed", code: str(input.outcome.code), message: str(input.outcome.message) }
      : undefined
  if (input.outcome !== undefined && failed === undefined)
    warnings.push(`the ${str(input.outcome._tag)} outcome cannot be expressed in a vector: written without it`)
  const context = input.context ?? {}
  const hasContext = context.reasoning === "summary" || Object.keys(context.tools ?? {}).length > 0
  const inputs = [...input.chunks.map(toInput), ...(failed ? [Sequencer.failed(failed.code, failed.message)] : [])]
  const { events, response } = Sequencer.run(vectorContext(context), inputs)
  const vector: Json = {
    name: input.name,
    description: input.description,
    ...(hasContext
      ? {
          context: {
            ...(context.reasoning === "summary" ? { reasoning: "summary" } : {}),
            ...(context.tools ? { tools: context.tools } : {})
          }
        }
      : {}),
    chunks: input.chunks,
    ...(failed ? { outcome: failed } : {}),
    expect: expectFor(response as unknown as Json),
    events
  }
  return { vector, warnings }
}
