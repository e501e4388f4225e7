/**
 * How the server asks its backend for a completion: one home for `/v1/responses` and `/v1/chat/completions`
 * (docs/architecture.md#request-path).
 * - The request: the server's `--max-output-tokens` when it sets no limit (llama-server's `--n-predict`). The
 *   stream flags are the backend's own business (the upstream sets them on the wire; usage always comes).
 * - The first batch is awaited, so that a backend that fails before producing anything is an HTTP error.
 * - For its life, the completion is registered in `Generations` (the drain waits for it, `stop` ends it) and
 *   counted in `Metrics`: time to first token, active streams, tokens.
 */
import type { ChatBackend, ChatCompletions, Source } from "@parlance/schema"
import { Source as Sources } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Running } from "../../Generations.js"
import type { ServerConfigService } from "../../ServerConfig.js"
import type { Services } from "../http/services.js"

type Request = ChatCompletions.ChatCompletionRequest

/** The request as the backend is asked for it: capped by `--max-output-tokens` when it sets no limit of its own. */
export const asked = (config: Pick<ServerConfigService, "defaultMaxOutputTokens">, request: Request): Request =>
  config.defaultMaxOutputTokens === undefined || request.max_tokens != null || request.max_completion_tokens != null
    ? request
    : { ...request, max_tokens: config.defaultMaxOutputTokens }

/**
 * A completion the backend has begun: its Source and first batch, and its place in the registry and the
 * metrics. `release` and `unregister` each run once.
 */
export interface Completion extends Source.Opened {
  /**
   * The backend has not answered yet (it signalled that the request waits for capacity, or the caller did not
   * wait: a background response): `first` is empty, and the Source's first read waits for the backend — a
   * backend that then fails answers that read with its failure.
   */
  readonly queued: boolean
  /** The request the backend was asked (for the recording). */
  readonly request: Request
  /** Registered under `id` and counted as an active stream, until `release` (the count) and `unregister`. */
  readonly register: (id: string, running: Running) => void
  /** Frees the backend (a pending read settles) and stops counting the stream. */
  readonly release: () => void
  /** Leaves the registry: the drain stops waiting for it (last, after the closing writes). */
  readonly unregister: () => void
  readonly tokens: (input: number, output: number, cached: number) => void
}

/**
 * Opens a completion of `request` and waits for its first batch; TTFT counts from `startedAt` (default: now).
 * `queue`: `"report"` answers as soon as the backend says the request waits (a `queued` completion);
 * `"detach"` answers at once, queued (a background response: the generation is not the request's).
 */
export const openCompletion = (
  s: Services,
  request: Request,
  options: {
    readonly streaming: boolean
    readonly startedAt?: number
    /** What the server reads instead of the backend's source as it is (a warm-up's silenced one: warm.ts). */
    readonly through?: (source: Source.Source) => Source.Source
    readonly queue?: "report" | "detach"
  }
): Effect.Effect<Completion, ChatBackend.BackendError> =>
  Effect.suspend(() => {
    const startedAt = options.startedAt ?? s.now()
    const sent = asked(s.config, request)
    const open = (openOptions: ChatBackend.OpenOptions) => {
      const opened = s.backend.open(sent, openOptions)
      return options.through === undefined ? opened : Effect.map(opened, options.through)
    }
    const ttft = () => s.metrics.ttft((s.now() - startedAt) / 1000)
    if (options.queue === undefined) {
      return Effect.map(Sources.openFirst(open({ firstEventFirst: options.streaming })), (opened) => {
        ttft()
        return new Tracked(s, sent, opened.source, opened.first, false)
      })
    }
    // The opening runs on its own fiber (it may outlive this answer), with this fiber's context: its services
    // and its current span (a traced backend attempt is the generation's child).
    return Effect.flatMap(Effect.context<never>(), (context) =>
      Effect.callback<Completion, ChatBackend.BackendError>((resume) => {
        const pending = new PendingSource()
        let answered = false
        const answerQueued = () => {
          if (answered) return
          answered = true
          resume(Effect.succeed(new Tracked(s, sent, pending, noChunks, true)))
        }
        const opening = Effect.runForkWith(context)(
          Effect.result(Sources.openFirst(open({ firstEventFirst: options.streaming, onQueued: answerQueued })))
        )
        pending.interrupt = () => opening.interruptUnsafe()
        opening.addObserver((exit) => {
          const result = Exit.isSuccess(exit) ? exit.value : undefined
          if (result?._tag === "Success") ttft()
          if (!answered) {
            answered = true
            if (result === undefined) return resume(Effect.die(Exit.isFailure(exit) ? exit.cause : "no result"))
            return resume(
              result._tag === "Success"
                ? Effect.succeed(new Tracked(s, sent, result.success.source, result.success.first, false))
                : Effect.fail(result.failure)
            )
          }
          pending.settle(result)
        })
        if (options.queue === "detach") answerQueued()
        // The caller left before an answer (a client gone): the backend's wait ends with it.
        return Effect.sync(() => {
          if (!answered) {
            answered = true
            pending.release()
          }
        })
      })
    )
  })

const noChunks: Source.Opened["first"] = { _tag: "Chunks", chunks: [] }

/**
 * The Source of a completion the backend has not answered yet: reads wait for the answer, then go to the
 * backend's Source (its first batch first); released before the answer, the opening is interrupted and a
 * Source that arrives anyway is released at once.
 */
class PendingSource implements Source.Source {
  interrupt: () => void = () => undefined
  private inner: Source.Source | undefined
  private first: Source.Batch | undefined
  private failure: Source.Batch | undefined
  private released = false
  private waiters: Array<() => void> = []

  /** The backend's answer (undefined: the opening died or was interrupted). */
  settle(
    result:
      | { readonly _tag: "Success"; readonly success: Source.Opened }
      | { readonly _tag: "Failure"; readonly failure: ChatBackend.BackendError }
      | undefined
  ): void {
    if (result?._tag === "Success") {
      if (this.released) void result.success.source.release()
      else {
        this.inner = result.success.source
        this.first = result.success.first
      }
    } else this.failure = result === undefined ? Sources.released() : Sources.failed(result.failure)
    this.wake()
  }

  readonly next = async (): Promise<Source.Batch> => {
    for (;;) {
      if (this.inner !== undefined) {
        const first = this.first
        this.first = undefined
        return first ?? this.inner.next()
      }
      if (this.failure !== undefined) return this.failure
      if (this.released) return Sources.released()
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  readonly release = async (): Promise<void> => {
    if (this.released) return
    this.released = true
    this.wake()
    if (this.inner !== undefined) return this.inner.release()
    this.interrupt()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}

/**
 * A stream the server serves without a Source (the upstream's raw pass-through): registered and counted all the
 * same, until `close`. `stop` ends it (a drain past its grace period).
 */
export const track = (s: Services, id: string, stop: () => void): { readonly close: () => void } => {
  const unregister = s.generations.add(id, { stop: Effect.sync(stop) })
  s.metrics.streamOpened()
  let closed = false
  return {
    close: () => {
      if (closed) return
      closed = true
      s.metrics.streamClosed()
      unregister()
    }
  }
}

/** A class: one object per completion, no closures. */
class Tracked implements Completion {
  private registered: (() => void) | undefined
  private counted = false
  private released = false

  constructor(
    private readonly s: Services,
    readonly request: Request,
    readonly source: Source.Source,
    readonly first: Source.Opened["first"],
    readonly queued: boolean
  ) {}

  readonly register = (id: string, running: Running): void => {
    if (this.registered !== undefined || this.released) return
    this.registered = this.s.generations.add(id, running)
    this.s.metrics.streamOpened()
    this.counted = true
  }

  readonly release = (): void => {
    if (this.released) return
    this.released = true
    void this.source.release()
    if (this.counted) this.s.metrics.streamClosed()
  }

  readonly unregister = (): void => {
    const unregister = this.registered
    this.registered = () => undefined
    unregister?.()
  }

  readonly tokens = (input: number, output: number, cached: number): void =>
    this.s.metrics.tokens(input, output, cached)
}
