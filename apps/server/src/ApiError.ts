/**
 * Every failure that reaches an HTTP client, as OpenAI's `{"error":{message,type,param,code}}` with its status.
 * Foreign errors (schema, translation, backend, store) are mapped here, once, at the edge; an ApiError renders
 * itself (`HttpServerRespondable`), so a handler can simply fail with one.
 * @since 0.1.0
 */
import type { ChatBackend } from "@parlance/schema"
import { OpenAiError } from "@parlance/schema"
import type { TranslateError } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as HttpServerRespondable from "effect/http/HttpServerRespondable"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Schema from "effect/Schema"

/** @category errors */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", {
  status: Schema.Number,
  body: OpenAiError.ErrorBody
}) {
  override get message(): string {
    return this.body.error.message
  }
  [HttpServerRespondable.symbol]() {
    return Effect.succeed(toResponse(this))
  }
}

const make = (
  status: number,
  message: string,
  options: { type?: string; param?: string | null; code?: string | null } = {}
) => new ApiError({ status, body: OpenAiError.errorBody(message, options) })

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  make(400, message, { param, code })
export const notFound = (message: string, param: string | null = null, code: string | null = "not_found") =>
  make(404, message, { param, code })
export const unauthorized = () =>
  make(401, "Incorrect API key provided. Pass it as 'Authorization: Bearer <key>'.", { code: "invalid_api_key" })
export const tooLarge = (limit: number, what = "") =>
  make(413, `The ${what}request body exceeds the limit of ${limit} bytes.`, { code: "request_too_large" })
export const unsupportedMediaType = (message: string, code = "unsupported_media_type") => make(415, message, { code })
/** 426: a route that answers only a protocol upgrade (WebSocket mode's `GET /v1/responses`). */
export const upgradeRequired = (message: string) => make(426, message, { code: "upgrade_required" })
export const unavailable = (message: string, code = "server_unavailable") =>
  make(503, message, { type: "server_error", code })
export const notSupported = (message: string, code = "not_supported") =>
  make(501, message, { type: "server_error", code })
export const internal = (message = "The server had an error while processing your request.") =>
  make(500, message, { type: "server_error", code: "internal_error" })

export const fromParse = (error: Schema.SchemaError) =>
  new ApiError({ status: 400, body: OpenAiError.fromParseError(error) })

export const fromTranslate = (error: TranslateError.TranslateError) =>
  make(400, error.message, {
    param: error.param,
    code: error.code ?? (error._tag === "UnsupportedFeature" ? "unsupported_parameter" : "invalid_value")
  })

/**
 * The one table from a backend's reason to what the client sees: the HTTP status before the first chunk,
 * the error `type`, and the `code` when the backend gave none (also `response.failed`'s code mid-stream).
 */
const reasons: Record<
  ChatBackend.BackendErrorReason,
  { readonly status: number; readonly type: string; readonly code: string }
> = {
  bad_request: { status: 400, type: "invalid_request_error", code: "invalid_value" },
  context_overflow: { status: 400, type: "invalid_request_error", code: "context_length_exceeded" },
  not_found: { status: 404, type: "invalid_request_error", code: "not_found" },
  rate_limited: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  overloaded: { status: 503, type: "server_error", code: "server_busy" },
  unreachable: { status: 502, type: "server_error", code: "upstream_unreachable" },
  timeout: { status: 504, type: "server_error", code: "upstream_timeout" },
  upstream_error: { status: 502, type: "server_error", code: "upstream_error" },
  internal: { status: 500, type: "server_error", code: "server_error" },
  not_supported: { status: 501, type: "server_error", code: "not_supported" }
}

/**
 * A backend failure before the first chunk: an HTTP error. `param` renames the backend's (Chat Completions)
 * param for the client's API (`ResponsesParam.fromChat` on `/v1/responses`).
 */
export const fromBackend = (
  error: ChatBackend.BackendError,
  param: (name: string | null) => string | null = (name) => name
): ApiError => {
  const { status, type, code } = reasons[error.reason]
  return make(status, error.message, { type, param: param(error.param), code: error.code ?? code })
}

/** A backend failure after the first chunk: the `code` and `message` of `response.failed`'s error. */
export const failureOf = (error: ChatBackend.BackendError): { readonly code: string; readonly message: string } => ({
  code: error.code ?? reasons[error.reason].code,
  message: error.message
})

export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(
    error.body,
    // The openai SDK retries every 5xx unless told not to; a 501 will not change on a retry.
    error.status === 501 ? { status: 501, headers: { "x-should-retry": "false" } } : { status: error.status }
  )
