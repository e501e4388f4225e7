/**
 * Chat Completions usage → Responses usage.
 * @since 0.1.0
 */
import type { ChatCompletions, ResponseObject } from "@parlance/schema"

/** When the upstream reports no usage, every count is 0: present and consistent, never invented. */
export const empty: ResponseObject.Usage = {
  input_tokens: 0,
  input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: 0,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 0
}

/** `total_tokens` is recomputed so that `total = input + output` holds whatever the upstream said. */
export const fromChat = (usage: ChatCompletions.ChatUsage | null | undefined): ResponseObject.Usage => {
  if (usage == null) return empty
  const input = usage.prompt_tokens ?? 0
  const output = usage.completion_tokens ?? 0
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      // OpenAI's Chat Completions reports the tokens it wrote to its cache; local servers report none: 0.
      cache_write_tokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0
    },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output
  }
}

/** Responses usage → Chat usage (for serving Chat Completions from a Response). */
export const toChat = (usage: ResponseObject.Usage): ChatCompletions.ChatUsage => ({
  prompt_tokens: usage.input_tokens,
  completion_tokens: usage.output_tokens,
  total_tokens: usage.total_tokens,
  prompt_tokens_details: {
    cached_tokens: usage.input_tokens_details.cached_tokens,
    cache_write_tokens: usage.input_tokens_details.cache_write_tokens
  },
  completion_tokens_details: { reasoning_tokens: usage.output_tokens_details.reasoning_tokens }
})
