/**
 * `UpstreamBackend`: any `/v1/chat/completions` server (llama-server, vLLM, Ollama, LM Studio, OpenAI) as a
 * ChatBackend. Failures before the first chunk carry the status the client should see (DESIGN §5):
 * refused → 502, upstream 5xx → 502 (503 stays 503), 429 → 429, 4xx → same status, timeout → 504.
 * @since 0.1.0
 */
import { ChatBackend, type ChatCompletions } from "@parlance/schema"
import { ChunkDecode, Sse } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

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

  const post = (path: string, body: string): Effect.Effect<Response, BackendError> =>
    Effect.tryPromise({
      try: (signal) => fetch(`${baseUrl}${path}`, { method: "POST", headers, body, signal }),
      catch: (error) => {
        const code = causeCode(error)
        return backendError(502, `Upstream ${baseUrl} is unreachable${code ? ` (${code})` : ""}: ${String((error as Error)?.message ?? error)}`, "upstream_unreachable")
      }
    }).pipe(
      Effect.timeoutFail({
        duration: connectTimeoutMs,
        onTimeout: () => backendError(504, `Upstream ${baseUrl} did not answer within ${connectTimeoutMs} ms.`, "upstream_timeout")
      })
    )

  const bodyBytes = (response: Response): Stream.Stream<Uint8Array, BackendError> =>
    response.body === null
      ? Stream.empty
      : Stream.fromReadableStream(
          () => response.body!,
          (error) => backendError(502, `The upstream connection broke: ${String((error as Error)?.message ?? error)}`, "upstream_disconnected")
        )

  const stream = (request: ChatCompletions.ChatCompletionRequest): Stream.Stream<ChatCompletions.ChatCompletionChunk, BackendError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const body = JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } })
        const response = yield* post("/chat/completions", body)
        if (!response.ok) {
          const text = yield* Effect.promise(() => response.text().catch(() => ""))
          return yield* Effect.fail(fromStatus(response.status, text))
        }
        let sawDone = false
        return Sse.decodeStream(bodyBytes(response)).pipe(
          Stream.timeoutFail(() => backendError(504, `The upstream sent nothing for ${idleTimeoutMs} ms.`, "upstream_timeout"), idleTimeoutMs),
          Stream.mapEffect((message) => {
            const input = ChunkDecode.fromData(message.data)
            if ("_tag" in input) {
              if (input._tag === "End") {
                sawDone = true
                return Effect.succeed(Option.none())
              }
              return Effect.fail(backendError(502, input._tag === "Failed" ? input.message : "aborted", input._tag === "Failed" ? input.code : "upstream_error"))
            }
            return Effect.succeed(Option.some(input))
          }),
          Stream.takeWhile(() => !sawDone),
          Stream.filterMap((x) => x),
          // A body that ends without `[DONE]` after a stream began is a dropped connection, not a normal end.
          Stream.concat(
            Stream.suspend(() =>
              sawDone ? Stream.empty : Stream.fail(backendError(502, "The upstream closed the stream without [DONE].", "upstream_disconnected"))
            )
          )
        )
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
