import * as Os from "node:os"
import * as Path from "node:path"

/** Where native llama.cpp messages go; engine messages use Effect's logger. */
export type EngineLogger = (level: "debug" | "info" | "warn" | "error", message: string) => void

export interface EngineOptions {
  /** A GGUF path, or a node-llama-cpp URI (`hf:owner/repo/file.gguf`, `https://…`) resolved and downloaded once. */
  readonly model: string
  /** GPU backend; `"auto"` picks CUDA/Vulkan/Metal when present, else CPU. Default `"auto"`. */
  readonly gpu?: "auto" | "cuda" | "vulkan" | "metal" | false
  /** Context size per sequence, in tokens. Default: the model's trained size, at most 8192. */
  readonly contextSize?: number
  /** Sequences decoded concurrently (one request each). Default 1. */
  readonly parallel?: number
  /** Requests that may wait for a busy sequence; past it a request fails at once with 503. Default 16. */
  readonly queueLimit?: number
  /** CPU threads. Default: all cores but one (`defaultThreads`; node-llama-cpp's own default is far too many on small hosts). */
  readonly threads?: number
  /** The model id reported in chunks and `/v1/models`. Default: the file's basename without `.gguf`. */
  readonly modelName?: string
  /** Where `hf:`/URL models are downloaded. Default: node-llama-cpp's models directory. */
  readonly modelsDirectory?: string
  /** Show node-llama-cpp's download progress bar on the terminal when a URI is fetched. Default false. */
  readonly downloadProgress?: boolean
  /** Download a URI model that is not cached yet. Default true; false only uses the local cache. */
  readonly allowDownload?: boolean
  /** Called as the model's weights load, with the fraction loaded (0 to 1): for a progress bar. */
  readonly onLoadProgress?: (fraction: number) => void
  /** Receives llama.cpp's native log lines (warnings and errors only unless `debug`). */
  readonly logger?: EngineLogger
}

export interface ResolvedOptions {
  readonly model: string
  readonly gpu: "auto" | "cuda" | "vulkan" | "metal" | false
  readonly contextSize: number | undefined
  readonly parallel: number
  readonly queueLimit: number
  readonly threads: number
  readonly modelName: string | undefined
  readonly modelsDirectory: string | undefined
  readonly downloadProgress: boolean
  readonly allowDownload: boolean
  readonly onLoadProgress: ((fraction: number) => void) | undefined
  readonly logger: EngineLogger | undefined
}

/**
 * CPU threads when none are given: all cores but one, so the server's event loop (HTTP, SSE encoding) never
 * waits for a core llama.cpp's spinning workers hold (measured on 16 cores with 16 threads: 8 streams at 0.25×
 * raw node-llama-cpp, a 1 s first token).
 */
export const defaultThreads = (cores: number): number => Math.max(1, cores - 1)

export const resolveOptions = (options: EngineOptions): ResolvedOptions => ({
  model: options.model,
  gpu: options.gpu ?? "auto",
  contextSize: options.contextSize,
  parallel: Math.max(1, Math.floor(options.parallel ?? 1)),
  queueLimit: Math.max(0, Math.floor(options.queueLimit ?? 16)),
  threads: Math.max(1, Math.floor(options.threads ?? defaultThreads(Os.availableParallelism()))),
  modelName: options.modelName,
  modelsDirectory: options.modelsDirectory,
  downloadProgress: options.downloadProgress ?? false,
  allowDownload: options.allowDownload ?? true,
  onLoadProgress: options.onLoadProgress,
  logger: options.logger
})

export const defaultModelName = (modelPath: string): string => Path.basename(modelPath).replace(/\.gguf$/i, "")
