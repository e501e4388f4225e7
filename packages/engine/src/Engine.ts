/**
 * The embedded engine (docs/architecture.md#engine): a GGUF model on node-llama-cpp as a `ChatBackend` —
 * Chat Completions requests in, the exact `chat.completion.chunk`s llama-server would stream out.
 * One loaded model, one context with `parallel` sequences, KV-cache prefix reuse between turns,
 * grammar-constrained tool calls and JSON output, abort within one token.
 * @since 0.1.0
 */
import type { ChatBackend } from "@parlance/schema/ChatBackend"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { EngineLoadError } from "./EngineError.js"
import * as internal from "./internal/engine.js"
import * as memory from "./internal/memory.js"
import type * as options from "./internal/options.js"
import * as runner from "./runner/client.js"

/**
 * Options of `make` / `layer`: `model` (path or `hf:`/URL URI), `gpu`, `contextSize` (per sequence),
 * `parallel`, `queueLimit`, `threads`, `modelName`, `modelsDirectory`, `logger`.
 * @category models
 */
export type EngineOptions = options.EngineOptions

/**
 * Receives llama.cpp's native log lines.
 * @category models
 */
export type EngineLogger = options.EngineLogger

/**
 * What was loaded and how (GPU backend, offloaded layers, context size, …).
 * @category models
 */
export type EngineInfo = internal.EngineInfo

/**
 * Whether the engine serves now, on which backend, how often it restarted: `/health`'s `engine`.
 * @category models
 */
export type EngineHealth = internal.EngineHealth

/**
 * Options of `spawn` / `layerProcess`: `EngineOptions` less `logger` (the runner's stderr is passed through).
 * @category models
 */
export type SpawnOptions = runner.SpawnOptions

/**
 * A `ChatBackend` plus what only the embedded engine knows.
 * @category models
 */
export type EngineBackend = internal.EngineBackend

/**
 * The engine as a service.
 * @category models
 */
export class Engine extends Context.Service<Engine, EngineBackend>()("@parlance/engine/Engine") {}

/**
 * Load the model and start serving; the scope disposes the context and model.
 * @category constructors
 */
export const make: (options: EngineOptions) => Effect.Effect<EngineBackend, EngineLoadError, Scope.Scope> =
  internal.make

/**
 * @category layers
 */
export const layer = (options: EngineOptions): Layer.Layer<Engine, EngineLoadError> =>
  Layer.effect(Engine, internal.make(options))

/**
 * The engine in a child process (the runner), so that a native abort in llama.cpp never takes the server down:
 * the GPU backend is proven by a one-token decode before this succeeds (under `gpu: "auto"`, CUDA → Vulkan →
 * Metal → CPU, falling back with a warning); a runner that dies later fails its streams, new requests get 503
 * `engine_unavailable`, and it restarts with a bounded backoff. The scope stops it.
 * @category constructors
 */
export const spawn: (options: SpawnOptions) => Effect.Effect<EngineBackend, EngineLoadError, Scope.Scope> = runner.spawn

/**
 * @category layers
 */
export const layerProcess = (options: SpawnOptions): Layer.Layer<Engine, EngineLoadError> =>
  Layer.effect(Engine, runner.spawn(options))

/**
 * The engine as a plain `ChatBackend`, for code that only needs the contract.
 * @category constructors
 */
export const asChatBackend = (engine: EngineBackend): ChatBackend => engine

/**
 * What a model would need in RAM (weights and context; with `gpu`, beside what a GPU would hold) and what the
 * host has free, read from the GGUF before loading it: a router checks it before it loads a model on demand.
 * @category utils
 */
export const estimateMemory: (options: {
  readonly model: string
  readonly contextSize?: number | undefined
  readonly parallel?: number | undefined
  readonly gpu?: "auto" | "cuda" | "vulkan" | "metal" | false | undefined
}) => Promise<memory.MemoryEstimate> = memory.estimateMemory
