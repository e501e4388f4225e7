/**
 * The one home of the finish-reason rules, both directions: `finish_reason` → how the Response ends
 * (docs/architecture.md#sequencer), and a Response's end → the `finish_reason` a Chat Completions server would send.
 * @since 0.1.0
 */
import type { ChatCompletions, ResponseObject } from "@parlance/schema"

/** @category models */
export type Ending =
  | { readonly status: "completed" }
  | { readonly status: "incomplete"; readonly reason: "max_output_tokens" | "content_filter" }

/** Unknown reasons (some servers send `"eos"`, `"end_turn"`, `"abort"`…) end the response normally. */
export const toEnding = (finishReason: string | null | undefined): Ending => {
  switch (finishReason) {
    case "length":
      return { status: "incomplete", reason: "max_output_tokens" }
    case "content_filter":
      return { status: "incomplete", reason: "content_filter" }
    default:
      return { status: "completed" }
  }
}

const known: ReadonlyArray<ChatCompletions.ChatFinishReason> = [
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "function_call"
]

/** An upstream's `finish_reason` as one OpenAI defines; unknown ones (`"eos"`, `"end_turn"`…) read as `stop`. */
export const normalize = (finishReason: string | null | undefined): ChatCompletions.ChatFinishReason =>
  known.find((r) => r === finishReason) ?? "stop"

/** How a finished Response would have ended as a `chat.completion`. */
export const fromResponse = (
  response: ResponseObject.Response,
  hasToolCalls: boolean
): ChatCompletions.ChatFinishReason => {
  if (response.status === "incomplete")
    return response.incomplete_details?.reason === "content_filter" ? "content_filter" : "length"
  return hasToolCalls ? "tool_calls" : "stop"
}
