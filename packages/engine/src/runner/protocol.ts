/**
 * The messages between the server and its engine runner (a child process, see `client.ts`), over Node's IPC
 * channel as JSON. One `open` per request; the runner answers with batches of chunks (one message per batch, not
 * per token), then `end` or `error`. Everything here is plain data: errors cross as their fields.
 */
import type { BackendErrorReason, ModelInfo } from "@parlance/schema/ChatBackend"
import type { ChatCompletionChunk, ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import type { EngineInfo } from "../internal/engine.js"

/** The engine options that cross the process boundary (no callbacks). */
export interface RunnerOptions {
  readonly model: string
  readonly gpu: "cuda" | "vulkan" | "metal" | false
  readonly contextSize?: number | undefined
  readonly parallel?: number | undefined
  readonly queueLimit?: number | undefined
  readonly threads?: number | undefined
  readonly modelName?: string | undefined
  readonly modelsDirectory?: string | undefined
  readonly downloadProgress?: boolean | undefined
  readonly allowDownload?: boolean | undefined
  readonly loadProgress?: boolean | undefined
}

export interface ErrorFields {
  readonly reason: BackendErrorReason
  readonly message: string
  readonly param: string | null
  readonly code: string | null
}

export interface Stats {
  readonly busy: number
  readonly waiting: number
  readonly size: number
}

/** Server → runner. */
export type ToRunner =
  | { readonly t: "start"; readonly options: RunnerOptions }
  | { readonly t: "open"; readonly id: number; readonly request: ChatCompletionRequest }
  | { readonly t: "cancel"; readonly id: number }
  | { readonly t: "count"; readonly id: number; readonly request: ChatCompletionRequest }
  | { readonly t: "stats"; readonly id: number }

/** Runner → server. */
export type FromRunner =
  | { readonly t: "progress"; readonly fraction: number }
  /** Loaded and proven by a one-token decode. */
  | {
      readonly t: "ready"
      readonly info: EngineInfo
      readonly models: ReadonlyArray<ModelInfo>
      readonly probeMs: number
    }
  /** Could not load, or the probe decode failed (without the process dying). */
  | {
      readonly t: "failed"
      readonly stage: "load" | "probe"
      readonly message: string
      /** The `EngineLoadError`'s, when loading failed with one. */
      readonly reason?: "NotFound" | "Download" | "Backend" | "Load" | "Memory"
      readonly path?: string
    }
  /** The request waits for a sequence (all busy): the server tells its client `response.queued`. */
  | { readonly t: "queued"; readonly id: number }
  | { readonly t: "chunks"; readonly id: number; readonly chunks: ReadonlyArray<ChatCompletionChunk> }
  | { readonly t: "end"; readonly id: number }
  | { readonly t: "error"; readonly id: number; readonly error: ErrorFields }
  | { readonly t: "counted"; readonly id: number; readonly tokens?: number; readonly error?: ErrorFields }
  | { readonly t: "stats"; readonly id: number; readonly stats: Stats }
