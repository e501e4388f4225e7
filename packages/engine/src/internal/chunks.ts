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
