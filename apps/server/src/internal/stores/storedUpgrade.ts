/**
 * A stored response written by an older Parlance, brought to the shape the current SDK's types require when it is
 * read back: `usage.input_tokens_details.cache_write_tokens` (required since openai 7.60) is 0 where it is missing.
 */
import type { StoredResponse } from "../../ResponseStore.js"

export const upgradeStored = (record: StoredResponse): StoredResponse => {
  const details = record.response.usage?.input_tokens_details as { cache_write_tokens?: number } | undefined
  if (details === undefined || details.cache_write_tokens !== undefined) return record
  const usage = record.response.usage!
  return {
    ...record,
    response: {
      ...record.response,
      usage: { ...usage, input_tokens_details: { ...usage.input_tokens_details, cache_write_tokens: 0 } }
    }
  }
}
