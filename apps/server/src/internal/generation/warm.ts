/**
 * `generate: false` (WebSocket mode): the response is prepared — its input kept, its id good for
 * `previous_response_id` — but nothing is generated (docs/architecture.md#websocket-mode). The backend is still
 * asked, for one token that is thrown away: it evaluates the prompt, so its prompt cache (the engine's sequence
 * KV cache, llama-server's slot cache) holds it for the next turn, and the usage reports the prompt's exact
 * token count. What comes back is silenced: no output, `output_tokens` 0, always `completed`.
 */
import type { ChatCompletions, Source } from "@parlance/schema"
import { Source as Sources } from "@parlance/schema"

/** The request as a warm-up: the same prompt, one token. */
export const request = (chat: ChatCompletions.ChatCompletionRequest): ChatCompletions.ChatCompletionRequest => {
  const { max_completion_tokens: _, ...rest } = chat
  return { ...rest, max_tokens: 1 }
}

/** A chunk without what the model said: no choices (so no finish reason either), usage without the output. */
const silent = (chunk: ChatCompletions.ChatCompletionChunk): ChatCompletions.ChatCompletionChunk => {
  const usage = chunk.usage
  return {
    ...chunk,
    choices: [],
    ...(usage == null
      ? {}
      : {
          usage: {
            ...usage,
            completion_tokens: 0,
            total_tokens: usage.prompt_tokens,
            completion_tokens_details: { reasoning_tokens: 0 }
          }
        })
  }
}

/** The backend's source with every chunk silenced; its end and failures pass unchanged. */
export const silence = (source: Source.Source): Source.Source => ({
  next: () =>
    source.next().then((batch) => (batch._tag === "Chunks" ? Sources.chunks(batch.chunks.map(silent)) : batch)),
  release: () => source.release()
})
