/**
 * `Backend`: the service that generates — the embedded engine or an upstream Chat Completions server. Any
 * `ChatBackend` serves; one that can forward a raw request unchanged (an upstream) also offers `passthrough`,
 * which the `/v1/chat/completions` route prefers, and `open`, the pull its stream is made of.
 * @since 0.1.0
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import type * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"

/** The raw HTTP exchange, for the `/v1/chat/completions` pass-through. @category models */
export interface RawResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Stream.Stream<Uint8Array, ChatBackend.BackendError>
}

/** The next batch of chunks; `None` once the completion ended. @category models */
export type Pull = Effect.Effect<Chunk.Chunk<ChatCompletions.ChatCompletionChunk>, Option.Option<ChatBackend.BackendError>>

/** @category models */
export interface BackendService extends ChatBackend.ChatBackend {
  /**
   * `stream` without the stream: the pull of its batches, open for the scope. A backend whose stream is
   * built from such a pull offers it, so the server's hot path reads it directly (one stream layer less).
   */
  readonly open?: (request: ChatCompletions.ChatCompletionRequest) => Effect.Effect<Pull, ChatBackend.BackendError, Scope.Scope>
  /** Forward a body unchanged to `path` and hand back the answer unchanged. */
  readonly passthrough?: (path: string, body: string) => Effect.Effect<RawResponse, ChatBackend.BackendError>
}

/** @category tags */
export class Backend extends Context.Tag("@parlance/server/Backend")<Backend, BackendService>() {}

/** Any ChatBackend (an engine, a test double) as the Backend service. @category layers */
export const layer = (backend: BackendService): Layer.Layer<Backend> => Layer.succeed(Backend, backend)
