/**
 * Builders for the `chat.completion.chunk`s the engine streams, shaped like llama-server's.
 */
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason, ChatUsage } from "@parlance/schema/ChatCompletions"
import * as Crypto from "node:crypto"

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

export const randomId = (prefix: string, length = 24): string => {
  const bytes = Crypto.randomBytes(length)
  let id = prefix
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length]
  return id
}

export interface ChunkFactory {
  readonly delta: (delta: ChatDelta) => ChatCompletionChunk
  readonly finish: (reason: ChatFinishReason) => ChatCompletionChunk
  readonly usage: (usage: ChatUsage) => ChatCompletionChunk
}

export const makeChunkFactory = (model: string): ChunkFactory => {
  const id = randomId("chatcmpl-", 29)
  const object = "chat.completion.chunk" as const
  const created = Math.floor(Date.now() / 1000)
  // Object literals rather than spreads of a shared base: built once per token, on the generation's hot path.
  return {
    delta: (delta) => ({ id, object, created, model, choices: [{ index: 0, delta, finish_reason: null }] }),
    finish: (reason) => ({ id, object, created, model, choices: [{ index: 0, delta: {}, finish_reason: reason }] }),
    usage: (usage) => ({ id, object, created, model, choices: [], usage })
  }
}

/** The text field a chunk's delta carries alone (`content` or `reasoning_content`), if that is all it carries. */
const textOnly = (chunk: ChatCompletionChunk): "content" | "reasoning_content" | undefined => {
  if (chunk.choices.length !== 1 || chunk.usage != null) return undefined
  const choice = chunk.choices[0]!
  if (choice.finish_reason != null || choice.logprobs != null) return undefined
  const delta = choice.delta
  let only: "content" | "reasoning_content" | undefined
  for (const key in delta) {
    if (only !== undefined || (key !== "content" && key !== "reasoning_content")) return undefined
    if (typeof delta[key] !== "string") return undefined
    only = key
  }
  return only
}

/**
 * A batch with each run of consecutive text deltas of one kind as one chunk: what the socket takes at once goes
 * through the sequencer, the SSE encoding and the client as one delta event, not one per token (the runner's
 * batches hold a slice of fast tokens). The text, its order and every other chunk are unchanged.
 */
export const coalesce = (chunks: ReadonlyArray<ChatCompletionChunk>): ReadonlyArray<ChatCompletionChunk> => {
  const out: Array<ChatCompletionChunk> = []
  let runKey: "content" | "reasoning_content" | undefined
  let runText = ""
  let runStart: ChatCompletionChunk | undefined
  const flush = (): void => {
    if (runStart === undefined) return
    const choice = runStart.choices[0]!
    out.push(
      runText === choice.delta[runKey!]
        ? runStart
        : { ...runStart, choices: [{ ...choice, delta: { [runKey!]: runText } }] }
    )
    runStart = undefined
    runKey = undefined
  }
  for (const chunk of chunks) {
    const key = textOnly(chunk)
    if (key !== undefined && key === runKey) {
      runText += chunk.choices[0]!.delta[key] as string
      continue
    }
    flush()
    if (key === undefined) out.push(chunk)
    else {
      runKey = key
      runStart = chunk
      runText = chunk.choices[0]!.delta[key] as string
    }
  }
  flush()
  return out
}
