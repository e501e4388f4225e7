/**
 * `Backend`: the service that generates — the embedded engine or an upstream Chat Completions server. Any
 * `ChatBackend` serves (its one method, `open`, is what both `/v1/responses` and `/v1/chat/completions` read);
 * one that can forward a raw request unchanged (an upstream) also offers `passthrough`, which the
 * `/v1/chat/completions` route prefers.
 * @since 0.1.0
 */
import type { ChatBackend, Source as Sources } from "@parlance/schema"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Readable } from "node:stream"

/** The raw HTTP exchange, for the `/v1/chat/completions` pass-through: a Node stream, piped as it comes. @category models */
export interface RawResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Readable
}

/**
 * A completion being generated, read batch by batch (`@parlance/schema/Source`).
 * @category models
 */
export type Source = Sources.Source
/** @category models */
export type SourceBatch = Sources.Batch
/** @category models */
export type OpenOptions = ChatBackend.OpenOptions

/** @category models */
export interface BackendService extends ChatBackend.ChatBackend {
  /**
   * Forward a body unchanged to `path` and hand back the answer unchanged: what a Chat Completions client sent
   * reaches the upstream whole (fields the schema does not model, `n > 1`, vendor extensions), and the
   * upstream's own status and body come back as they are.
   */
  readonly passthrough?: (path: string, body: string) => Effect.Effect<RawResponse, ChatBackend.BackendError>
  /** What `/health` says about the backend beyond its kind (the engine: ready or restarting, on which GPU). */
  readonly health?: Effect.Effect<object>
  /** Lines `/metrics` adds (a router's counters per model and per backend), in Prometheus' text format. */
  readonly metrics?: () => string
}

/** @category tags */
export class Backend extends Context.Service<Backend, BackendService>()("@parlance/server/Backend") {}

/** Any ChatBackend (an engine, a test double) as the Backend service. @category layers */
export const layer = (backend: BackendService): Layer.Layer<Backend> => Layer.succeed(Backend, backend)
