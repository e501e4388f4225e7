/**
 * Every failure that reaches an HTTP client, as OpenAI's `{"error":{message,type,param,code}}` with its status.
 * Foreign errors (schema, translation, backend, store) are mapped here, once, at the edge.
 * @since 0.1.0
 */
import { ChatBackend, OpenAiError } from "@parlance/schema"
import type { TranslateError } from "@parlance/translate"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import type * as ParseResult from "effect/ParseResult"

/** @category errors */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly body: OpenAiError.ErrorBody
}> {}

const make = (status: number, message: string, options: { type?: string; param?: string | null; code?: string | null } = {}) =>
  new ApiError({ status, body: OpenAiError.errorBody(message, options) })

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  make(400, message, { param, code })
export const notFound = (message: string, param: string | null = null, code: string | null = "not_found") =>
  make(404, message, { param, code })
export const unauthorized = () =>
  make(401, "Incorrect API key provided. Pass it as 'Authorization: Bearer <key>'.", { code: "invalid_api_key" })
export const tooLarge = (limit: number) =>
  make(413, `The request body exceeds the limit of ${limit} bytes.`, { code: "request_too_large" })
export const unavailable = (message: string, code = "server_unavailable") => make(503, message, { type: "server_error", code })
export const internal = (message = "The server had an error while processing your request.") =>
  make(500, message, { type: "server_error", code: "internal_error" })

export const fromParse = (error: ParseResult.ParseError) => new ApiError({ status: 400, body: OpenAiError.fromParseError(error) })

export const fromTranslate = (error: TranslateError.TranslateError) =>
  make(400, error.message, { param: error.param, code: error.code ?? (error._tag === "UnsupportedFeature" ? "unsupported_parameter" : "invalid_value") })

export const fromBackend = (error: ChatBackend.BackendError) =>
  make(error.status, error.message, { type: error.type, param: error.param, code: error.code })

export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(error.body, { status: error.status })
