/**
 * Resolve and load the model: prebuilt llama.cpp binaries only (`build: "never"`), the GGUF resolved with
 * node-llama-cpp's `resolveModelFile`, one context with `parallel` sequences.
 */
import * as Effect from "effect/Effect"
import "./numberGrammar.js"
import type * as Scope from "effect/Scope"
import * as Fs from "node:fs"
import * as Path from "node:path"
import {
  getLlama,
  InsufficientMemoryError,
  LlamaLogLevel,
  resolveModelFile,
  type Llama,
  type LlamaContext,
  type LlamaModel
} from "node-llama-cpp"
import { EngineLoadError } from "../EngineError.js"
import { errorMessage } from "./errors.js"
import type { EngineLogger, ResolvedOptions } from "./options.js"

const isUri = (model: string): boolean => /^(hf:|huggingface:|https?:\/\/)/i.test(model)

const llamaLogLevel = (level: LlamaLogLevel): "debug" | "info" | "warn" | "error" =>
  level === LlamaLogLevel.error || level === LlamaLogLevel.fatal
    ? "error"
    : level === LlamaLogLevel.warn
      ? "warn"
      : level === LlamaLogLevel.info
        ? "info"
        : "debug"

const loadLlama = (gpu: ResolvedOptions["gpu"], logger: EngineLogger | undefined, threads: number) =>
  Effect.tryPromise({
    try: () =>
      getLlama({
        gpu,
        build: "never",
        maxThreads: threads,
        logLevel: LlamaLogLevel.warn,
        progressLogs: false,
        ...(logger === undefined
          ? {}
          : { logger: (level: LlamaLogLevel, message: string) => logger(llamaLogLevel(level), message.trimEnd()) })
      }),
    catch: (cause) =>
      new EngineLoadError({
        reason: "Backend",
        path: "",
        message: `No usable prebuilt llama.cpp binary for gpu=${String(gpu)}: ${errorMessage(cause)}`,
        cause
      })
  })

/** A local path must exist; a URI is resolved (and downloaded once) into the models directory. */
export const resolveModelPath = (
  model: string,
  modelsDirectory: string | undefined,
  downloadProgress = false,
  allowDownload = true
): Effect.Effect<string, EngineLoadError> => {
  if (!isUri(model)) {
    const path = Path.resolve(model)
    return Fs.existsSync(path)
      ? Effect.succeed(path)
      : Effect.fail(new EngineLoadError({ reason: "NotFound", path, message: `Model file not found: ${path}` }))
  }
  return Effect.tryPromise({
    try: () =>
      resolveModelFile(model, {
        directory: modelsDirectory,
        download: allowDownload ? "auto" : false,
        cli: downloadProgress,
        verify: false
      }),
    catch: (cause) =>
      new EngineLoadError({
        reason: "Download",
        path: model,
        message:
          `Could not resolve or download the model '${model}' (${errorMessage(cause)}). ` +
          `If this machine is offline, download the GGUF elsewhere and pass it with --model PATH.`,
        cause
      })
  })
}

export interface Loaded {
  readonly llama: Llama
  readonly model: LlamaModel
  readonly context: LlamaContext
  readonly modelPath: string
}

/** Load everything; the scope disposes the context and the model. */
export const load: (options: ResolvedOptions) => Effect.Effect<Loaded, EngineLoadError, Scope.Scope> =
  Effect.fnUntraced(function* (options: ResolvedOptions) {
    const modelPath = yield* resolveModelPath(
      options.model,
      options.modelsDirectory,
      options.downloadProgress,
      options.allowDownload
    )
    const llama = yield* loadLlama(options.gpu, options.logger, options.threads)
    const model = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          llama.loadModel({
            modelPath,
            ...(options.onLoadProgress !== undefined ? { onLoadProgress: options.onLoadProgress } : {})
          }),
        catch: (cause) =>
          new EngineLoadError({
            reason: cause instanceof InsufficientMemoryError ? "Memory" : "Load",
            path: modelPath,
            message: `Failed to load the model ${modelPath}: ${errorMessage(cause)}`,
            cause
          })
      }),
      (model) => Effect.promise(() => model.dispose())
    )
    const trained = model.trainContextSize
    const context = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          model.createContext({
            sequences: options.parallel,
            threads: options.threads,
            contextSize: options.contextSize ?? { min: Math.min(2048, trained), max: Math.min(8192, trained) }
          }),
        catch: (cause) =>
          new EngineLoadError({
            reason: cause instanceof InsufficientMemoryError ? "Memory" : "Load",
            path: modelPath,
            message: `Failed to create a context for ${modelPath}: ${errorMessage(cause)}`,
            cause
          })
      }),
      (context) => Effect.promise(() => context.dispose())
    )
    return { llama, model, context, modelPath } satisfies Loaded
  })
