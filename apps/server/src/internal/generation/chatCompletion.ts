/**
 * `/v1/chat/completions` read from the backend's Source (any backend without a pass-through: the engine): the
 * Completion (completion.ts) streamed back as `data:` frames ending in `data: [DONE]`, or collected for one
 * `chat.completion`. No Effect Stream: a read, an encode and a write per batch, as for `/v1/responses`. It is
 * registered in Generations while it runs (the drain waits for it; a stop ends it with an error frame) and
 * counted in Metrics.
 */
import type { ChatBackend, ChatCompletions, Source } from "@parlance/schema"
import { Sse } from "@parlance/translate"
import * as Effect from "effect/Effect"
import { Readable } from "node:stream"
import * as ApiError from "../../ApiError.js"
import type { Completion } from "./completion.js"

type Chunk = ChatCompletions.ChatCompletionChunk

/** The usage a chunk reports, into the token totals. */
const count = (completion: Completion, chunk: Chunk): void => {
  const usage = chunk.usage
  if (usage != null)
    completion.tokens(usage.prompt_tokens, usage.completion_tokens, usage.prompt_tokens_details?.cached_tokens ?? 0)
}

/** Registered under `id` for its life: a stop (drain) releases the source, so a pending read settles at once. */
const register = (completion: Completion, id: string): (() => void) => {
  completion.register(id, { stop: Effect.sync(() => void completion.source.release()) })
  return () => {
    completion.release()
    completion.unregister()
  }
}

/**
 * Streamed: each batch's frames as one buffer, pulled as the socket drains. Usage-only chunks go out when the
 * client asked for them (`stream_options.include_usage`); a failure is one frame with the OpenAI error body.
 */
export const stream = (completion: Completion, id: string, wantUsage: boolean): Readable => {
  const close = register(completion, id)
  let first: Source.Batch | undefined = completion.first
  const pump = async (out: Readable): Promise<void> => {
    for (;;) {
      const batch = first ?? (await completion.source.next())
      first = undefined
      if (batch._tag === "Chunks") {
        let text = ""
        for (const chunk of batch.chunks) {
          count(completion, chunk)
          if (wantUsage || chunk.choices.length > 0) text += Sse.encodeData(chunk)
        }
        if (text === "") continue
        out.push(Buffer.from(text, "utf8"))
        return
      }
      const failure = batch._tag === "Failed" ? Sse.encodeData(ApiError.fromBackend(batch.error).body) : ""
      out.push(Buffer.from(failure + Sse.done, "utf8"))
      out.push(null)
      return
    }
  }
  return new Readable({
    read() {
      pump(this).catch((error) => this.destroy(error))
    },
    destroy: (error, callback) => {
      close()
      callback(error)
    }
  })
}

/** Not streamed: every chunk, to the end; the request's fiber interrupted (a client gone) releases the backend. */
export const collect = (
  completion: Completion,
  id: string
): Effect.Effect<ReadonlyArray<Chunk>, ChatBackend.BackendError> =>
  Effect.callback((resume) => {
    const close = register(completion, id)
    const chunks: Array<Chunk> = []
    const loop = async (): Promise<ChatBackend.BackendError | undefined> => {
      let batch: Source.Batch = completion.first
      for (;;) {
        if (batch._tag === "End") return undefined
        if (batch._tag === "Failed") return batch.error
        for (const chunk of batch.chunks) {
          count(completion, chunk)
          chunks.push(chunk)
        }
        batch = await completion.source.next()
      }
    }
    loop().then(
      (error) => {
        close()
        resume(error === undefined ? Effect.succeed(chunks) : Effect.fail(error))
      },
      (error) => {
        close()
        resume(Effect.die(error))
      }
    )
    return Effect.sync(close)
  })
