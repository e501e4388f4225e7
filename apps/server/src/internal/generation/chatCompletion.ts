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
import type { ChatOutcome } from "./traces.js"

type Chunk = ChatCompletions.ChatCompletionChunk

/** What is told once the completion ends (its span, when traced). */
export type OnEnd = (outcome: ChatOutcome) => void

/** One completion's tally: its chunks' usage (into the metrics as it comes), model and finish reasons. */
class Tally {
  input = 0
  output = 0
  cached = 0
  id: string | undefined
  model: string | undefined
  finishReasons: Array<string> = []
  error: string | undefined
  constructor(private readonly completion: Completion) {}
  count(chunk: Chunk): void {
    this.id = chunk.id || this.id
    this.model = chunk.model || this.model
    for (const choice of chunk.choices) if (choice.finish_reason != null) this.finishReasons.push(choice.finish_reason)
    const usage = chunk.usage
    if (usage == null) return
    const cached = usage.prompt_tokens_details?.cached_tokens ?? 0
    this.completion.tokens(usage.prompt_tokens, usage.completion_tokens, cached)
    this.input = usage.prompt_tokens
    this.output = usage.completion_tokens
    this.cached = cached
  }
  outcome(): ChatOutcome {
    const { id, input, output, cached, model, finishReasons, error } = this
    return { id, input, output, cached, model, finishReasons, error }
  }
}

/**
 * Registered under `id` for its life: a stop (drain) releases the source, so a pending read settles at once.
 * The returned close runs once.
 */
const register = (completion: Completion, id: string, tally: Tally, onEnd: OnEnd | undefined): (() => void) => {
  completion.register(id, { stop: Effect.sync(() => void completion.source.release()) })
  let closed = false
  return () => {
    if (closed) return
    closed = true
    completion.release()
    completion.unregister()
    onEnd?.(tally.outcome())
  }
}

/**
 * Streamed: each batch's frames as one buffer, pulled as the socket drains. Usage-only chunks go out when the
 * client asked for them (`stream_options.include_usage`); a failure is one frame with the OpenAI error body.
 */
export const stream = (completion: Completion, id: string, wantUsage: boolean, onEnd?: OnEnd): Readable => {
  const tally = new Tally(completion)
  const close = register(completion, id, tally, onEnd)
  let first: Source.Batch | undefined = completion.first
  const pump = async (out: Readable): Promise<void> => {
    for (;;) {
      const batch = first ?? (await completion.source.next())
      first = undefined
      if (batch._tag === "Chunks") {
        let text = ""
        for (const chunk of batch.chunks) {
          tally.count(chunk)
          if (wantUsage || chunk.choices.length > 0) text += Sse.encodeData(chunk)
        }
        if (text === "") continue
        out.push(Buffer.from(text, "utf8"))
        return
      }
      if (batch._tag === "Failed") tally.error = batch.error.code ?? batch.error.reason
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
  id: string,
  onEnd?: OnEnd
): Effect.Effect<ReadonlyArray<Chunk>, ChatBackend.BackendError> =>
  Effect.callback((resume) => {
    const tally = new Tally(completion)
    const close = register(completion, id, tally, onEnd)
    const chunks: Array<Chunk> = []
    const loop = async (): Promise<ChatBackend.BackendError | undefined> => {
      let batch: Source.Batch = completion.first
      for (;;) {
        if (batch._tag === "End") return undefined
        if (batch._tag === "Failed") {
          tally.error = batch.error.code ?? batch.error.reason
          return batch.error
        }
        for (const chunk of batch.chunks) {
          tally.count(chunk)
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
