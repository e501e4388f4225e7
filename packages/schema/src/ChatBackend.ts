/**
 * The contract every backend fulfils (DESIGN §1): a Chat Completions request in, the exact chunks a
 * Chat Completions server would stream out. The embedded engine and the upstream proxy both implement it,
 * so the server serves `/v1/responses` and `/v1/chat/completions` from either with the same code.
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { ChatCompletionChunk, ChatCompletionRequest } from "./ChatCompletions.js"

/**
 * A failure a backend reports before or during generation, already classified the way OpenAI would answer:
 * `status` is the HTTP status for a failure before the first chunk (400 bad request, 429/503 busy,
 * 502 upstream broken, 504 timeout); after the first chunk the server turns it into `response.failed`.
 * @category errors
 */
export class BackendError extends Schema.TaggedError<BackendError>()("BackendError", {
  status: Schema.Number,
  type: Schema.String,
  code: Schema.NullOr(Schema.String),
  param: Schema.NullOr(Schema.String),
  message: Schema.String
}) {}

/** @category models */
export interface ModelInfo {
  readonly id: string
  readonly owned_by: string
  readonly created: number
}

/** @category models */
export interface ChatBackend {
  /** `"engine"` or `"upstream"`, for logs and `/health`. */
  readonly kind: string
  readonly models: Effect.Effect<ReadonlyArray<ModelInfo>, BackendError>
  /**
   * Stream the completion. Interrupting the stream (client disconnect, cancel) must abort generation
   * within one token and free whatever the request held. The last chunk carries `usage` when
   * `stream_options.include_usage` is set (backends should always send it).
   */
  readonly stream: (request: ChatCompletionRequest) => Stream.Stream<ChatCompletionChunk, BackendError>
  /** Backends with their own capacity (the engine's sequences and queue) report it for `/health` and `/metrics`. */
  readonly load?: Effect.Effect<BackendLoad>
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
