/**
 * `UpstreamBackend`: any `/v1/chat/completions` server (llama-server, vLLM, Ollama, LM Studio, OpenAI) as a
 * ChatBackend. Failures before the first chunk carry the status the client should see (DESIGN §5):
 * refused → 502, upstream 5xx → 502 (503 stays 503), 429 → 429, 4xx → same status, timeout → 504.
 * @since 0.1.0
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { IdleTimeout, readChunks, withIdleTimeout } from "./internal/upstreamBody.js"

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
}

type BackendError = ChatBackend.BackendError
const BackendError = ChatBackend.BackendError

/** The raw HTTP exchange, for the `/v1/chat/completions` pass-through. @category models */
export interface RawResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Stream.Stream<Uint8Array, BackendError>
}

/** @category models */
export interface UpstreamBackend extends ChatBackend.ChatBackend {
  readonly baseUrl: string
  /** Forward a body unchanged and hand back the upstream's answer unchanged. */
  readonly passthrough: (path: string, body: string) => Effect.Effect<RawResponse, BackendError>
}

export const normalizeBaseUrl = (url: string): string => {
  const trimmed = url.replace(/\/+$/, "")
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`
}

const backendError = (status: number, message: string, code: string | null, type = "upstream_error") =>
  new BackendError({ status, type, code, param: null, message })

/** The upstream's own error message, from an OpenAI-style body or its plain text. */
const upstreamMessage = (text: string): { message: string; param: string | null; code: string | null } => {
  try {
    const body = JSON.parse(text) as { error?: { message?: string; param?: string; code?: string | number } | string; message?: string }
    if (typeof body.error === "string") return { message: body.error, param: null, code: null }
    if (body.error?.message) {
      return { message: body.error.message, param: body.error.param ?? null, code: body.error.code === undefined ? null : String(body.error.code) }
    }
    if (body.message) return { message: body.message, param: null, code: null }
  } catch {
    // not JSON
  }
  return { message: text.slice(0, 500) || "(empty body)", param: null, code: null }
}

const fromStatus = (status: number, text: string): BackendError => {
  const { message, param, code } = upstreamMessage(text)
  const said = `Upstream answered ${status}: ${message}`
  if (status === 429) return new BackendError({ status: 429, type: "rate_limit_error", code: code ?? "rate_limit_exceeded", param, message: said })
  if (status === 503) return new BackendError({ status: 503, type: "server_error", code: code ?? "upstream_unavailable", param, message: said })
  if (status >= 500) return new BackendError({ status: 502, type: "server_error", code: code ?? "upstream_error", param, message: said })
  if (status === 401 || status === 403) return new BackendError({ status: 502, type: "server_error", code: "upstream_auth_failed", param, message: `${said} (check --upstream-api-key)` })
  return new BackendError({ status, type: "invalid_request_error", code, param, message: said })
}

const causeCode = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause
  return cause?.code
}

/** @category constructors */
export const make = (options: UpstreamOptions): UpstreamBackend => {
  const baseUrl = normalizeBaseUrl(options.baseUrl)
  const connectTimeoutMs = options.connectTimeoutMs ?? 300_000
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000
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
      catch: (error) => {
        if (error instanceof ConnectTimeout || (error as Error)?.name === "TimeoutError" || (error as { cause?: unknown })?.cause instanceof ConnectTimeout) {
          return backendError(504, `Upstream ${baseUrl} did not answer within ${connectTimeoutMs} ms.`, "upstream_timeout")
        }
        const code = causeCode(error)
        return backendError(502, `Upstream ${baseUrl} is unreachable${code ? ` (${code})` : ""}: ${String((error as Error)?.message ?? error)}`, "upstream_unreachable")
      }
    })

  const bodyBytes = (response: Response): Stream.Stream<Uint8Array, BackendError> =>
    response.body === null
      ? Stream.empty
      : Stream.fromReadableStream(
          () => withIdleTimeout(response.body!, idleTimeoutMs),
          (error) =>
            error instanceof IdleTimeout
              ? backendError(504, `The upstream sent nothing for ${idleTimeoutMs} ms.`, "upstream_timeout")
              : backendError(502, `The upstream connection broke: ${String((error as Error)?.message ?? error)}`, "upstream_disconnected")
        )

  const stream = (request: ChatCompletions.ChatCompletionRequest): Stream.Stream<ChatCompletions.ChatCompletionChunk, BackendError> =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const abort = new AbortController()
        yield* Effect.addFinalizer(() => Effect.sync(() => abort.abort()))
        const body = JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } })
        const response = yield* post("/chat/completions", body, abort)
        if (!response.ok) {
          const text = yield* Effect.promise(() => response.text().catch(() => ""))
          return yield* Effect.fail(fromStatus(response.status, text))
        }
        if (response.body === null) return yield* Effect.fail(backendError(502, "The upstream answered with no body.", "upstream_disconnected"))
        const batches = readChunks(response.body, idleTimeoutMs)
        return Stream.fromAsyncIterable({ [Symbol.asyncIterator]: () => batches }, (error) =>
          error instanceof BackendError ? error : backendError(502, `The upstream stream failed: ${String(error)}`, "upstream_disconnected")
        ).pipe(Stream.mapConcat((batch) => batch))
      })
    )

  const models = Effect.tryPromise({
    try: (signal) => fetch(`${baseUrl}/models`, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`status ${r.status}`)))),
    catch: (error) => backendError(502, `Upstream ${baseUrl} did not list its models: ${String(error)}`, "upstream_unreachable")
  }).pipe(
    Effect.map((body) => {
      const data = (body as { data?: Array<{ id?: string; owned_by?: string; created?: number }> }).data ?? []
      return data.filter((m) => typeof m.id === "string").map((m) => ({ id: m.id!, owned_by: m.owned_by ?? "upstream", created: m.created ?? 0 }))
    }),
    Effect.catchAll((error) => (options.fallbackModel ? Effect.succeed([{ id: options.fallbackModel, owned_by: "upstream", created: 0 }]) : Effect.fail(error)))
  )

  const passthrough = (path: string, body: string) =>
    post(path, body).pipe(
      Effect.map((response) => ({
        status: response.status,
        contentType: response.headers.get("content-type") ?? "application/json",
        body: bodyBytes(response)
      }))
    )

  return { kind: "upstream", baseUrl, models, stream, passthrough }
}

class ConnectTimeout extends Error {}
