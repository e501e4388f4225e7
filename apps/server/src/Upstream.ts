/**
 * `UpstreamBackend`: any `/v1/chat/completions` server (llama-server, vLLM, Ollama, LM Studio, OpenAI) as a
 * ChatBackend. Its failures carry a reason (`internal/upstream/upstreamErrors.ts`); the server picks the status.
 * @since 0.1.0
 */
import type { ChatBackend, ChatCompletions, Source } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Pool } from "undici"
import * as Backend from "./Backend.js"
import * as UpstreamCompletion from "./internal/upstream/upstreamCompletion.js"
import * as UpstreamErrors from "./internal/upstream/upstreamErrors.js"
import * as UpstreamTokens from "./internal/upstream/upstreamTokens.js"

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

/** @category models */
export type RawResponse = Backend.RawResponse

/** @category models */
export interface UpstreamBackend extends Backend.BackendService {
  readonly baseUrl: string
  readonly passthrough: NonNullable<Backend.BackendService["passthrough"]>
  /** Counted by the upstream's own tokenizer where it has one (llama-server, vLLM); `not_supported` otherwise. */
  readonly countPromptTokens: NonNullable<Backend.BackendService["countPromptTokens"]>
  /** Closes the connection pool (idle connections do not keep the process alive meanwhile). */
  readonly close: () => Promise<void>
}

/** The body `/chat/completions` is sent: the one place the wire's stream flags are set (streamed, with usage). */
const wireBody = (request: ChatCompletions.ChatCompletionRequest) => ({
  ...request,
  stream: true,
  stream_options: { include_usage: true }
})

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

  const base = new URL(baseUrl)
  const prefix = base.pathname.replace(/\/+$/, "")
  // One keep-alive pool per upstream (undici: no fetch, no web streams; see internal/upstream/upstreamCompletion.ts).
  const pool = new Pool(base.origin, { connect: { timeout: connectTimeoutMs } })

  /** The address and the socket's words go to the log, never to the client. */
  const loggedAt = (url: string, failure: BackendError, error: unknown) =>
    Effect.andThen(
      Effect.logWarning(`upstream ${url}: ${failure.message} ${UpstreamErrors.detail(error)}`),
      Effect.fail(failure)
    )
  const logged = (path: string, failure: BackendError, error: unknown) => loggedAt(`${baseUrl}${path}`, failure, error)

  /** Sends the request; succeeds at the upstream's 2xx headers with the completion as a Source. */
  const open = (
    request: ChatCompletions.ChatCompletionRequest,
    options?: ChatBackend.OpenOptions
  ): Effect.Effect<Source.Source, BackendError> =>
    Effect.callback<Source.Source, BackendError>((resume) => {
      // Streamed, with usage (the server counts tokens from it).
      const body = JSON.stringify(wireBody(request))
      const abort = UpstreamCompletion.open(
        {
          dispatcher: pool,
          path: `${prefix}/chat/completions`,
          headers,
          body,
          headersTimeoutMs: connectTimeoutMs,
          idleTimeoutMs,
          firstEventFirst: options?.firstEventFirst === true
        },
        (opened) => {
          if ("error" in opened)
            return resume(
              logged("/chat/completions", UpstreamCompletion.openFailure(opened.error, connectTimeoutMs), opened.error)
            )
          if (opened.source !== undefined) return resume(Effect.succeed(opened.source))
          resume(Effect.fail(UpstreamErrors.fromStatus(opened.status, opened.text ?? "")))
        }
      )
      // The client left before the upstream answered.
      return Effect.sync(abort)
    })

  const models = Effect.tryPromise({
    try: (signal) =>
      fetch(`${baseUrl}/models`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) }).then(
        (r) => (r.ok ? r.json() : Promise.reject(new Error(`status ${r.status}`)))
      ),
    catch: (error) => error
  }).pipe(
    Effect.tapError((error) => Effect.logWarning(`upstream ${baseUrl}/models: ${UpstreamErrors.detail(error)}`)),
    Effect.mapError(() => UpstreamErrors.modelsUnlisted()),
    Effect.map((body) => {
      const data = (body as { data?: Array<UpstreamModel> }).data ?? []
      return data
        .filter((m) => typeof m.id === "string")
        .map((m): ChatBackend.ModelInfo => {
          const contextWindow = options.contextWindow ?? reportedContext(m)
          return {
            id: m.id!,
            owned_by: m.owned_by ?? "upstream",
            created: m.created ?? 0,
            ...(contextWindow !== undefined ? { context_window: contextWindow } : {})
          }
        })
    }),
    Effect.catch((error) =>
      options.fallbackModel
        ? Effect.succeed([
            {
              id: options.fallbackModel,
              owned_by: "upstream",
              created: 0,
              ...(options.contextWindow !== undefined ? { context_window: options.contextWindow } : {})
            }
          ])
        : Effect.fail(error)
    )
  )

  /** The body as it comes (undici's stream: a client who leaves destroys it, which aborts the request). */
  const passthrough = (path: string, body: string): Effect.Effect<Backend.RawResponse, BackendError> =>
    Effect.tryPromise({
      try: (signal) =>
        pool.request({
          path: `${prefix}${path}`,
          method: "POST",
          headers,
          body,
          signal,
          headersTimeout: connectTimeoutMs,
          bodyTimeout: idleTimeoutMs
        }),
      catch: (error) => error
    }).pipe(
      Effect.catch((error) => logged(path, UpstreamCompletion.openFailure(error, connectTimeoutMs), error)),
      Effect.map((answer) => {
        const type = answer.headers["content-type"]
        return {
          status: answer.statusCode,
          contentType: (Array.isArray(type) ? type[0] : type) ?? "application/json",
          body: answer.body
        }
      })
    )

  const tokens = UpstreamTokens.make({
    dispatcher: pool,
    // llama-server and vLLM serve their tokenizers at the root, beside `/v1`.
    root: prefix.replace(/\/v\d+$/, ""),
    headers,
    headersTimeoutMs: connectTimeoutMs,
    bodyTimeoutMs: idleTimeoutMs,
    wireBody,
    failed: (path, error) =>
      loggedAt(`${base.origin}${path}`, UpstreamCompletion.openFailure(error, connectTimeoutMs), error)
  })

  return {
    kind: "upstream",
    baseUrl,
    models,
    open,
    passthrough,
    countPromptTokens: tokens.count,
    close: () => pool.close()
  }
}

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
export const layer = (options: UpstreamOptions): Layer.Layer<Backend.Backend> =>
  Layer.effect(
    Backend.Backend,
    Effect.acquireRelease(
      Effect.sync(() => make(options)),
      (backend) => Effect.promise(backend.close)
    )
  )
