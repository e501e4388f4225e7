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

/** Opens a completion of `request` and waits for its first batch; TTFT counts from `startedAt` (default: now). */
export const openCompletion = (
  s: Services,
  request: Request,
  options: {
    readonly streaming: boolean
    readonly startedAt?: number
    /** What the server reads instead of the backend's source as it is (a warm-up's silenced one: warm.ts). */
    readonly through?: (source: Source.Source) => Source.Source
  }
): Effect.Effect<Completion, ChatBackend.BackendError> =>
  Effect.suspend(() => {
    const startedAt = options.startedAt ?? s.now()
    const sent = asked(s.config, request)
    const opened = s.backend.open(sent, { firstEventFirst: options.streaming })
    return Effect.map(
      Sources.openFirst(options.through === undefined ? opened : Effect.map(opened, options.through)),
      ({ source, first }) => {
        s.metrics.ttft((s.now() - startedAt) / 1000)
        return new Tracked(s, sent, source, first)
      }
    )
  })

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
    readonly first: Source.Opened["first"]
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
