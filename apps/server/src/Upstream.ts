/**
 * `UpstreamBackend`: any `/v1/chat/completions` server (llama-server, vLLM, Ollama, LM Studio, OpenAI) as a
 * ChatBackend. Its failures carry a reason (`internal/upstreamErrors.ts`); the server picks the status.
 * @since 0.1.0
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Backend from "./Backend.js"
import { IdleTimeout, readChunks, withIdleTimeout } from "./internal/upstreamBody.js"
import * as UpstreamErrors from "./internal/upstreamErrors.js"
import * as UpstreamHttp from "./internal/upstreamHttp.js"

/** @category models */
export interface UpstreamOptions {
  /** e.g. `http://127.0.0.1:8080/v1` (a trailing `/v1` is added when missing). */
  readonly baseUrl: string
  readonly apiKey?: string | undefined
  /** Until the upstream answers with headers (ms). */
  readonly connectTimeoutMs?: number
  /** Longest silence between two chunks once streaming (ms). */
  readonly idleTimeoutMs?: number
  /** Reported by `/v1/models` when the upstream cannot list its own. */
  readonly fallbackModel?: string
  /** The upstream's context window in tokens, when it does not report one (`--context-window`). */
  readonly contextWindow?: number | undefined
}

type BackendError = ChatBackend.BackendError
const BackendError = ChatBackend.BackendError

/** @category models */
export type RawResponse = Backend.RawResponse

/** @category models */
export interface UpstreamBackend extends Backend.BackendService {
  readonly baseUrl: string
  readonly passthrough: NonNullable<Backend.BackendService["passthrough"]>
}

export const normalizeBaseUrl = (url: string): string => {
  const trimmed = url.replace(/\/+$/, "")
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`
}

/** @category constructors */
export const make = (options: UpstreamOptions): UpstreamBackend => {
  const baseUrl = normalizeBaseUrl(options.baseUrl)
  const connectTimeoutMs = options.connectTimeoutMs ?? 300_000
  // Like llama-server's 60 s read timeout: long enough for a slow prompt, short enough that a stall ends.
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000
  const headers = {
    "content-type": "application/json",
    accept: "text/event-stream, application/json",
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {})
  }

  /**
   * POST and wait for the upstream's headers. `abort` (when given) cancels the request and its body later:
   * the stream's finalizer uses it on client disconnect or cancel.
   */
  const post = (path: string, body: string, abort?: AbortController): Effect.Effect<Response, BackendError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const controller = abort ?? new AbortController()
        signal.addEventListener("abort", () => controller.abort(), { once: true })
        const timer = setTimeout(() => controller.abort(new ConnectTimeout()), connectTimeoutMs)
        try {
          return await fetch(`${baseUrl}${path}`, { method: "POST", headers, body, signal: controller.signal })
        } finally {
          clearTimeout(timer)
        }
      },
      catch: (error) => error
    }).pipe(
      Effect.catchAll((error) => {
        const timedOut = error instanceof ConnectTimeout || (error as Error)?.name === "TimeoutError" || (error as { cause?: unknown })?.cause instanceof ConnectTimeout
        const failure = timedOut ? UpstreamErrors.connectTimeout(connectTimeoutMs) : UpstreamErrors.unreachable()
        // The address and the socket's words go to the log, not to the client.
        return Effect.logWarning(`upstream ${baseUrl}${path}: ${failure.message} ${UpstreamErrors.detail(error)}`).pipe(Effect.zipRight(Effect.fail(failure)))
      })
    )

  const bodyBytes = (response: Response): Stream.Stream<Uint8Array, BackendError> =>
    response.body === null
      ? Stream.empty
      : Stream.fromReadableStream(
          () => withIdleTimeout(response.body!, idleTimeoutMs),
          (error) => (error instanceof IdleTimeout ? UpstreamErrors.idleTimeout(idleTimeoutMs) : UpstreamErrors.broken())
        )

  const poster = UpstreamHttp.make(baseUrl, headers, connectTimeoutMs)

  /** Sends the request and hands back the pull of its batches, one per network read; the scope ends it. */
  const open = (request: ChatCompletions.ChatCompletionRequest): Effect.Effect<Backend.Pull, BackendError, Scope.Scope> =>
    Effect.gen(function* () {
      const exchange = poster.post("/chat/completions", JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }))
      // Read to its end (`[DONE]`), the connection is kept for the next request; otherwise it is cut. An
      // async generator's `return()` waits for the read it is suspended in — through a stalled upstream, until
      // the idle timeout — so aborting first ends that read, and a client who leaves frees the upstream now.
      // (Scope.addFinalizer, not Effect.addFinalizer: no fiber-refs diff per request.)
      let complete = false
      let failed = false
      let batches: ReturnType<typeof readChunks> | undefined
      yield* Scope.addFinalizer(
        yield* Effect.scope,
        Effect.sync(() => {
          if (complete) return exchange.finish()
          exchange.abort()
          batches?.return(undefined).catch(() => undefined)
        })
      )
      const response = yield* Effect.tryPromise({ try: () => exchange.response, catch: (error) => error }).pipe(
        Effect.catchAll((error) => {
          const failure = error instanceof UpstreamHttp.ConnectTimeout ? UpstreamErrors.connectTimeout(connectTimeoutMs) : UpstreamErrors.unreachable()
          // The address and the socket's words go to the log, not to the client.
          return Effect.logWarning(`upstream ${baseUrl}/chat/completions: ${failure.message} ${UpstreamErrors.detail(error)}`).pipe(Effect.zipRight(Effect.fail(failure)))
        })
      )
      const status = response.statusCode ?? 0
      if (status < 200 || status >= 300) {
        const text = yield* Effect.promise(() => UpstreamHttp.text(response))
        return yield* Effect.fail(UpstreamErrors.fromStatus(status, text))
      }
      const reading = (batches = readChunks(response, idleTimeoutMs))
      // The batch travels as is, never element by element.
      return Effect.flatMap(
        Effect.tryPromise({ try: () => reading.next(), catch: (error) => ((failed = true), Option.some(error instanceof BackendError ? error : UpstreamErrors.broken())) }),
        (result) => (result.done === true ? ((complete = !failed), Effect.fail(Option.none())) : Effect.succeed(Chunk.unsafeFromArray(result.value)))
      )
    })

  const stream = (request: ChatCompletions.ChatCompletionRequest): Stream.Stream<ChatCompletions.ChatCompletionChunk, BackendError> =>
    Stream.unwrapScoped(Effect.map(open(request), Stream.repeatEffectChunkOption))

  const models = Effect.tryPromise({
    try: (signal) => fetch(`${baseUrl}/models`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`status ${r.status}`)))),
    catch: (error) => error
  }).pipe(
    Effect.tapError((error) => Effect.logWarning(`upstream ${baseUrl}/models: ${UpstreamErrors.detail(error)}`)),
    Effect.mapError(() => UpstreamErrors.modelsUnlisted()),
    Effect.map((body) => {
      const data = (body as { data?: Array<UpstreamModel> }).data ?? []
      return data.filter((m) => typeof m.id === "string").map((m): ChatBackend.ModelInfo => {
        const contextWindow = options.contextWindow ?? reportedContext(m)
        return { id: m.id!, owned_by: m.owned_by ?? "upstream", created: m.created ?? 0, ...(contextWindow !== undefined ? { context_window: contextWindow } : {}) }
      })
    }),
    Effect.catchAll((error) =>
      options.fallbackModel
        ? Effect.succeed([{ id: options.fallbackModel, owned_by: "upstream", created: 0, ...(options.contextWindow !== undefined ? { context_window: options.contextWindow } : {}) }])
        : Effect.fail(error)
    )
  )

  const passthrough = (path: string, body: string) =>
    post(path, body).pipe(
      Effect.map((response) => ({
        status: response.status,
        contentType: response.headers.get("content-type") ?? "application/json",
        body: bodyBytes(response)
      }))
    )

  return { kind: "upstream", baseUrl, models, stream, open, passthrough }
}

class ConnectTimeout extends Error {}

interface UpstreamModel {
  readonly id?: string
  readonly owned_by?: string
  readonly created?: number
  readonly max_model_len?: unknown
  readonly context_length?: unknown
  readonly context_window?: unknown
  readonly meta?: { readonly n_ctx?: unknown }
}

/**
 * The context window an upstream's `/v1/models` entry states: vLLM's `max_model_len`, `context_length`
 * (OpenRouter, LM Studio), `context_window`, llama-server's runtime `meta.n_ctx`. Its `n_ctx_train` is the
 * training length, not what the server was started with, so it is not used.
 */
const reportedContext = (m: UpstreamModel): number | undefined => {
  for (const value of [m.max_model_len, m.context_length, m.context_window, m.meta?.n_ctx]) {
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value
  }
  return undefined
}

/** The upstream as the server's Backend. @category layers */
export const layer = (options: UpstreamOptions): Layer.Layer<Backend.Backend> => Layer.sync(Backend.Backend, () => make(options))
