/**
 * The contract every backend meets (docs/architecture.md#backends): a Chat Completions request in, the exact
 * chunks a Chat Completions server would stream out, read through a `Source` (`./Source.ts`). A backend
 * implements one method, `open`; `Source.stream(backend, request)` derives an Effect Stream from it. The embedded
 * engine and the upstream proxy both implement it, so the server serves `/v1/responses` and
 * `/v1/chat/completions` from either with the same code.
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { ChatCompletionRequest } from "./ChatCompletions.js"
import type { Source } from "./Source.js"

/**
 * Why a backend failed, in its own terms. No HTTP here (docs/architecture.md#errors): the server maps each reason to
 * a status and an OpenAI error body, in one table (`@parlance/server/ApiError`).
 * - `bad_request`: the request cannot be served as asked (an invalid parameter, an unsupported part)
 * - `context_overflow`: the prompt does not fit the model's context
 * - `not_found`: the upstream does not know what was asked for (typically the model)
 * - `rate_limited`: the upstream refused for rate; retry later
 * - `overloaded`: no capacity now (the engine's queue is full, the upstream is unavailable)
 * - `unreachable`: the upstream could not be connected to
 * - `timeout`: the upstream did not answer, or went silent mid-stream
 * - `upstream_error`: the upstream failed or broke its protocol (a 5xx, a dropped stream, a malformed chunk)
 * - `internal`: the backend itself failed (an engine error)
 * - `not_supported`: the backend cannot do what was asked at all (an upstream with no tokenizer endpoint to count with)
 * @category models
 */
export const BackendErrorReason = Schema.Literals([
  "bad_request",
  "context_overflow",
  "not_found",
  "rate_limited",
  "overloaded",
  "unreachable",
  "timeout",
  "upstream_error",
  "internal",
  "not_supported"
])
/** @category models */
export type BackendErrorReason = typeof BackendErrorReason.Type

/**
 * A failure a backend reports before or during generation. Before the first chunk the server answers it as
 * an HTTP error; after it, as `response.failed`. `code` is OpenAI's machine-readable code when one applies
 * (`context_length_exceeded`, `server_busy`, `upstream_timeout`…), `param` the request field at fault.
 * @category errors
 */
export class BackendError extends Schema.TaggedError<BackendError>()("BackendError", {
  reason: BackendErrorReason,
  message: Schema.String,
  param: Schema.NullOr(Schema.String),
  code: Schema.NullOr(Schema.String)
}) {}

/** @category models */
export interface ModelInfo {
  readonly id: string
  readonly owned_by: string
  readonly created: number
  /** Tokens of context one request may use, when the backend knows it (the engine's context, the upstream's report). */
  readonly context_window?: number
  /** What a user turn may carry, when the backend knows it. */
  readonly input_modalities?: ReadonlyArray<"text" | "image">
  /** Whether one response may hold several tool calls, when the backend knows it. */
  readonly parallel_tool_calls?: boolean
  /** Whether the model is loaded now, for a backend that loads models on demand (a router over embedded engines). */
  readonly loaded?: boolean
}

/** @category models */
export interface ChatBackend {
  /** `"engine"` or `"upstream"`, for logs and `/health`. */
  readonly kind: string
  readonly models: Effect.Effect<ReadonlyArray<ModelInfo>, BackendError>
  /**
   * Starts the completion; succeeds once the backend accepted it (an upstream's 2xx headers, an engine's
   * sequence leased), fails with why it did not. The Source's `release` (a client gone, a cancel, a drain) must
   * stop generation within one token and free whatever the request held. The last chunk carries `usage`
   * whatever the request's stream flags say (the server counts tokens from it).
   */
  readonly open: (request: ChatCompletionRequest, options?: OpenOptions) => Effect.Effect<Source, BackendError>
  /** Backends with their own capacity (the engine's sequences and queue) report it for `/health` and `/metrics`. */
  readonly load?: Effect.Effect<BackendLoad>
  /**
   * Backends that can tokenize count a request's prompt exactly: the `usage.prompt_tokens` that `open(request)`
   * would report, from the same rendering (chat template, tools, system message, reasoning settings). Never an
   * estimate: a backend that cannot count exactly leaves this out, or fails with `not_supported`.
   */
  readonly countPromptTokens?: (request: ChatCompletionRequest) => Effect.Effect<number, BackendError>
}

/** @category models */
export interface OpenOptions {
  /**
   * The client reads the events as they come (a streamed response): the first event is handed over before
   * the rest of a burst is read, so that the first bytes leave at once. Without it, a burst is read whole.
   */
  readonly firstEventFirst?: boolean
  /**
   * Called at most once, before the first chunk, when the request must wait for capacity (every engine sequence
   * busy): the server then tells its client `response.queued`. A backend that never waits never calls it.
   */
  readonly onQueued?: () => void
}

/** @category models */
export interface BackendLoad {
  /** Requests generating now. */
  readonly busy: number
  /** Requests waiting for a free slot. */
  readonly waiting: number
  /** Slots in all. */
  readonly size: number
}
