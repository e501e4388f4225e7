/**
 * One upstream `data:` payload → a sequencer input, tolerant (docs/conventions.md#wire-schemas): only the fields the
 * sequencer reads are checked, by hand, because this runs once per token.
 * @since 0.1.0
 */
import type { ChatCompletions } from "@parlance/schema"
import { isObject } from "./internal/json.js"
import * as Sequencer from "./Sequencer.js"

/** `[DONE]` → End; an `{"error": …}` payload → Failed with the upstream's message; garbage → Failed. */
export const fromData = (data: string): Sequencer.Input => {
  if (data === "[DONE]") return Sequencer.end
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return Sequencer.failed(
      "upstream_malformed_chunk",
      `The upstream sent a chunk that is not JSON: ${data.slice(0, 200)}`
    )
  }
  return fromJson(parsed)
}

export const fromJson = (parsed: unknown): Sequencer.Input => {
  if (!isObject(parsed))
    return Sequencer.failed("upstream_malformed_chunk", "The upstream sent a chunk that is not a JSON object.")
  if (parsed.error !== undefined && parsed.choices === undefined) {
    const error = parsed.error
    const message = isObject(error) && typeof error.message === "string" ? error.message : JSON.stringify(error)
    return Sequencer.failed("upstream_error", `The upstream failed: ${message}`)
  }
  const choices = parsed.choices
  if (choices !== undefined && choices !== null && !Array.isArray(choices)) {
    return Sequencer.failed("upstream_malformed_chunk", "The upstream sent a chunk whose `choices` is not an array.")
  }
  if (
    Array.isArray(choices) &&
    !choices.every((c) => isObject(c) && (c.delta === undefined || c.delta === null || isObject(c.delta)))
  ) {
    return Sequencer.failed("upstream_malformed_chunk", "The upstream sent a chunk with a malformed choice.")
  }
  // The decoding boundary: the fields the sequencer reads were checked above.
  const chunk = (choices == null ? { ...parsed, choices: [] } : parsed) as unknown
  return chunk as ChatCompletions.ChatCompletionChunk
}
