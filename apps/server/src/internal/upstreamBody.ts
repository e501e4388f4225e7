/**
 * An upstream's response body: an idle timeout for any body, and for a streamed completion, its SSE → batches of Chat Completions chunks, one batch per network read. A plain async
 * generator: this runs once per token, and per-token Effect machinery costs more than the decoding itself.
 */
import type { ChatCompletions } from "@parlance/schema"
import { ChunkDecode, Sse } from "@parlance/translate"
import { IncomingMessage } from "node:http"
import * as UpstreamErrors from "./upstreamErrors.js"

interface Reader {
  readonly read: () => Promise<IteratorResult<Uint8Array, unknown>>
  readonly cancel: (reason?: unknown) => Promise<void>
}

/**
 * A node:http response body read like a web stream. `cancel(reason)` destroys it (failing a pending read);
 * `cancel()` at the end reads whatever is left, so the connection goes back to the keep-alive pool.
 */
const incomingReader = (body: IncomingMessage): Reader => {
  const iterator = body[Symbol.asyncIterator]()
  return {
    read: () => iterator.next(),
    cancel: async (reason) => {
      if (reason !== undefined) body.destroy(reason instanceof Error ? reason : undefined)
      else if (!body.readableEnded) body.resume()
    }
  }
}

export class IdleTimeout extends Error {}

/** Errors the body when no bytes arrive for `ms` (a stalled upstream must not hold a stream open forever). */
export const withIdleTimeout = (body: ReadableStream<Uint8Array>, ms: number): ReadableStream<Uint8Array> => {
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new IdleTimeout()), ms)
      })
      try {
        const result = await Promise.race([reader.read(), timeout])
        if (result.done) controller.close()
        else controller.enqueue(result.value)
      } catch (error) {
        reader.cancel(error).catch(() => undefined)
        controller.error(error)
      } finally {
        clearTimeout(timer)
      }
    },
    cancel: (reason) => reader.cancel(reason)
  })
}

/**
 * Ends at `[DONE]`; throws a BackendError for an upstream error payload, a malformed chunk, a broken
 * connection, silence longer than `idleTimeoutMs`, or a body that ends without `[DONE]` (a dropped stream).
 */
export async function* readChunks(
  body: ReadableStream<Uint8Array> | IncomingMessage,
  idleTimeoutMs: number
): AsyncGenerator<ReadonlyArray<ChatCompletions.ChatCompletionChunk>> {
  const reader = body instanceof IncomingMessage ? incomingReader(body) : body.getReader()
  const decoder = Sse.makeDecoder()
  // One timer for the whole body, pushed back on every read (not a timer and a promise race per read).
  let silent = false
  const timer = setTimeout(() => {
    silent = true
    reader.cancel(new IdleTimeout()).catch(() => undefined)
  }, idleTimeoutMs)
  try {
    for (;;) {
      let result: IteratorResult<Uint8Array, unknown>
      try {
        result = await reader.read()
      } catch (error) {
        throw silent ? UpstreamErrors.idleTimeout(idleTimeoutMs) : UpstreamErrors.broken()
      }
      // A cancel by the timer ends a pending read as if the body had ended.
      if (silent) throw UpstreamErrors.idleTimeout(idleTimeoutMs)
      timer.refresh()
      const messages = result.done ? decoder.end() : decoder.feed(result.value)
      const batch: Array<ChatCompletions.ChatCompletionChunk> = []
      for (const message of messages) {
        const input = ChunkDecode.fromData(message.data)
        if (!("_tag" in input)) {
          batch.push(input)
          continue
        }
        if (batch.length > 0) yield batch
        if (input._tag === "Failed") throw UpstreamErrors.inStream(input.message, input.code)
        return
      }
      if (batch.length > 0) yield batch
      if (result.done) throw UpstreamErrors.noDone()
    }
  } finally {
    clearTimeout(timer)
    reader.cancel().catch(() => undefined)
  }
}
