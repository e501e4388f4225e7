/**
 * An upstream's SSE body → batches of Chat Completions chunks, one batch per network read. A plain async
 * generator: this runs once per token, and per-token Effect machinery costs more than the decoding itself.
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import { ChunkDecode, Sse } from "@parlance/translate"

const failure = (status: number, message: string, code: string) =>
  new ChatBackend.BackendError({ status, type: "upstream_error", code, param: null, message })

/** Resolves to `undefined` when the body is silent for `ms`. */
const readWithin = <T>(read: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  return Promise.race([read, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Ends at `[DONE]`; throws a BackendError for an upstream error payload, a malformed chunk, a broken
 * connection, silence longer than `idleTimeoutMs`, or a body that ends without `[DONE]` (a dropped stream).
 */
export async function* readChunks(
  body: ReadableStream<Uint8Array>,
  idleTimeoutMs: number
): AsyncGenerator<ReadonlyArray<ChatCompletions.ChatCompletionChunk>> {
  const reader = body.getReader()
  const decoder = Sse.makeDecoder()
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array> | undefined
      try {
        result = await readWithin(reader.read(), idleTimeoutMs)
      } catch (error) {
        throw failure(502, `The upstream connection broke: ${String((error as Error)?.message ?? error)}`, "upstream_disconnected")
      }
      if (result === undefined) throw failure(504, `The upstream sent nothing for ${idleTimeoutMs} ms.`, "upstream_timeout")
      const messages = result.done ? decoder.end() : decoder.feed(result.value)
      const batch: Array<ChatCompletions.ChatCompletionChunk> = []
      for (const message of messages) {
        const input = ChunkDecode.fromData(message.data)
        if (!("_tag" in input)) {
          batch.push(input)
          continue
        }
        if (batch.length > 0) yield batch
        if (input._tag === "Failed") throw failure(502, input.message, input.code)
        return
      }
      if (batch.length > 0) yield batch
      if (result.done) throw failure(502, "The upstream closed the stream without [DONE].", "upstream_disconnected")
    }
  } finally {
    reader.cancel().catch(() => undefined)
  }
}
