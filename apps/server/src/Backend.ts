/**
 * `Backend`: the service that generates — the embedded engine or an upstream Chat Completions server. Any
 * `ChatBackend` serves; one that can forward a raw request unchanged (an upstream) also offers `passthrough`,
 * which the `/v1/chat/completions` route prefers, and `open`, the source its stream is made of.
 * @since 0.1.0
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Readable } from "node:stream"
import * as Sources from "./internal/source.js"

/** The raw HTTP exchange, for the `/v1/chat/completions` pass-through: a Node stream, piped as it comes. @category models */
export interface RawResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Readable
}

/**
 * A completion being generated, read batch by batch. The server's hot path: plain promises, so that a
 * token costs no Effect machinery (the fibers, scopes and streams around it cost more than the token).
 * @category models
 */
export type Source = Sources.Source
/** @category models */
export type SourceBatch = Sources.Batch

/** @category models */
export interface BackendService extends ChatBackend.ChatBackend {
  /**
   * `stream` as a Source, open once the backend accepted the request (an upstream's 2xx headers). A backend
   * whose stream is built from one offers it, so the hot path reads it directly; others are read through
   * `stream` (see `open`).
   */
  readonly open?: (
    request: ChatCompletions.ChatCompletionRequest,
    options?: OpenOptions
  ) => Effect.Effect<Source, ChatBackend.BackendError>
  /** What `/health` says about the backend beyond its kind (the engine: ready or restarting, on which GPU). */
  readonly health?: Effect.Effect<object>
  /** Forward a body unchanged to `path` and hand back the answer unchanged. */
  readonly passthrough?: (path: string, body: string) => Effect.Effect<RawResponse, ChatBackend.BackendError>
}

/** @category models */
export interface OpenOptions {
  /**
   * The client reads the events as they come (a streamed response): the first event is handed over before
   * the rest of a burst is read, so that the first bytes leave at once. Without it, a burst is read whole.
   */
  readonly firstEventFirst?: boolean
}

/** The backend's Source for `request`: its own `open`, or its `stream` read through a pull. @category utils */
export const open = (
  backend: BackendService,
  request: ChatCompletions.ChatCompletionRequest,
  options?: OpenOptions
): Effect.Effect<Source, ChatBackend.BackendError> =>
  backend.open !== undefined ? backend.open(request, options) : Sources.fromStream(backend.stream(request))

/** @category tags */
export class Backend extends Context.Service<Backend, BackendService>()("@parlance/server/Backend") {}

/** Any ChatBackend (an engine, a test double) as the Backend service. @category layers */
export const layer = (backend: BackendService): Layer.Layer<Backend> => Layer.succeed(Backend, backend)
