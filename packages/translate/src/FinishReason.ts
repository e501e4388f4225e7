/**
 * `finish_reason` → how the Response ends (DESIGN §3).
 * @since 0.1.0
 */

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
