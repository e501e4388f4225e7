import type { BackendError, ChatBackend, ModelInfo, OpenOptions } from "@parlance/schema/ChatBackend"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import type { Source } from "@parlance/schema/Source"
import * as SourceBuffer from "@parlance/schema/SourceBuffer"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { LlamaChat } from "node-llama-cpp"
import type { EngineLoadError } from "../EngineError.js"
import { makeChunkFactory } from "./chunks.js"
import { errorMessage, serverError } from "./errors.js"
import { runGeneration } from "./generate.js"
import { makeGrammarCache } from "./grammar.js"
import { load } from "./loader.js"
import { defaultModelName, resolveOptions, type EngineOptions } from "./options.js"
import { makePool, type Slot } from "./pool.js"
import { countPromptTokens, prepare } from "./prepare.js"
import { gpuName } from "../runner/gpu.js"

export interface EngineInfo {
  readonly modelName: string
  readonly modelPath: string
  /** `false` for CPU, else the llama.cpp GPU backend in use. */
  readonly gpu: false | "cuda" | "vulkan" | "metal"
  readonly gpuLayers: number
  readonly totalLayers: number
  /** Tokens per sequence. */
  readonly contextSize: number
  readonly trainContextSize: number
  readonly parallel: number
  readonly queueLimit: number
  readonly threads: number
  readonly chatWrapper: string
}

export interface EngineHealth {
  /** `ready`; `starting` or `restarting` (new requests get 503 `engine_unavailable`). */
  readonly state: "starting" | "ready" | "restarting" | "closed"
  /** The backend that passed its probe: `CPU`, `CUDA`, `Vulkan`, `Metal`. */
  readonly gpu: string
  readonly restarts: number
  /** Why the runner last died, when it did. */
  readonly last_failure?: string
}

export interface EngineBackend extends ChatBackend {
  readonly info: EngineInfo
  /** Tokens of the prompt `request` renders to (what `usage.prompt_tokens` reports), whether or not it fits the context. */
  readonly countPromptTokens: (request: ChatCompletionRequest) => Effect.Effect<number, BackendError>
  /** Sequences generating and requests waiting, for `/metrics` and `/health`. */
  readonly load: Effect.Effect<{ readonly busy: number; readonly waiting: number; readonly size: number }>
  /** Whether the engine can serve now and on which backend, for `/health` (the runner restarts after a crash). */
  readonly health?: Effect.Effect<EngineHealth>
  /** Dispose the context and model now (the scope does it otherwise). */
  readonly close: Effect.Effect<void>
}

/** The start line: what was loaded and how. */
export const describe = (info: EngineInfo): string =>
  `engine: ${info.modelName} on ${gpuName(info.gpu)}, ` +
  `${info.gpuLayers}/${info.totalLayers} layers offloaded, context ${info.contextSize} x ${info.parallel} sequences, ` +
  `${info.threads} threads, chat wrapper ${info.chatWrapper}`

export const make: (options: EngineOptions) => Effect.Effect<EngineBackend, EngineLoadError, Scope.Scope> =
  Effect.fnUntraced(function* (options: EngineOptions) {
    const resolved = resolveOptions(options)
    const loaded = yield* load(resolved)
    const { llama, model, context } = loaded
    const sequences = Array.from({ length: resolved.parallel }, () => context.getSequence())
    const first = new LlamaChat({ contextSequence: sequences[0] })
    const chatWrapper = first.chatWrapper
    const slots: Array<Slot> = sequences.map((sequence, index) => ({
      index,
      sequence,
      chat: index === 0 ? first : new LlamaChat({ contextSequence: sequence, chatWrapper }),
      busy: false,
      lastUsed: 0
    }))
    yield* Effect.addFinalizer(() => Effect.sync(() => slots.forEach((slot) => slot.chat.dispose())))
    const pool = makePool(slots, resolved.queueLimit)
    const grammars = makeGrammarCache(llama)
    const modelName = resolved.modelName ?? defaultModelName(loaded.modelPath)
    const prepareContext = { model, chatWrapper, contextSize: context.contextSize, grammars }
    const info: EngineInfo = {
      modelName,
      modelPath: loaded.modelPath,
      gpu: llama.gpu,
      gpuLayers: model.gpuLayers,
      totalLayers: model.fileInsights.totalLayers,
      contextSize: context.contextSize,
      trainContextSize: model.trainContextSize,
      parallel: resolved.parallel,
      queueLimit: resolved.queueLimit,
      threads: resolved.threads,
      chatWrapper: chatWrapper.wrapperName
    }
    yield* Effect.logInfo(describe(info))
    const created = Math.floor(Date.now() / 1000)
    // What the catalog may tell clients (Codex sizes its history and compaction from the context window).
    const models: ReadonlyArray<ModelInfo> = [
      {
        id: modelName,
        owned_by: "parlance",
        created,
        context_window: context.contextSize,
        input_modalities: ["text"],
        parallel_tool_calls: chatWrapper.settings.functions.parallelism != null
      }
    ]

    /**
     * Prepares the request, leases a sequence (in a scope of its own) and starts generating into a SourceBuffer:
     * node-llama-cpp's callbacks push, the reader takes batches (throttled wake-ups: the first token at once, then
     * one batch per slice). The lease is handed back once the sequence is idle — generation over, or aborted by
     * `release` — so the next request gets a sequence nobody is using; `release` settles when it is.
     */
    const open = (request: ChatCompletionRequest, options?: OpenOptions): Effect.Effect<Source, BackendError> =>
      Effect.flatMap(prepare(prepareContext, request), (prepared) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            const scope = yield* Scope.make()
            const slot = yield* restore(
              Scope.provide(pool.lease(prepared.promptTokens, options?.onQueued), scope)
            ).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
            const controller = new AbortController()
            const buffer = SourceBuffer.make({
              wake: { throttleMs: SourceBuffer.DEFAULT_THROTTLE_MS },
              onRelease: () => (controller.abort(), idle)
            })
            const chunks = makeChunkFactory(modelName)
            const done = runGeneration(
              slot,
              prepared,
              { delta: (d) => buffer.offer(chunks.delta(d)) },
              controller.signal
            ).then((outcome) => {
              if (outcome._tag === "Finished") {
                buffer.offer(chunks.finish(outcome.finishReason))
                buffer.offer(chunks.usage(outcome.usage))
                buffer.end()
              } else if (outcome._tag === "Failed") {
                buffer.fail(serverError(`Generation failed: ${errorMessage(outcome.cause)}`))
              } else buffer.end()
            })
            const free = () => Effect.runPromise(Scope.close(scope, Exit.void))
            const idle: Promise<void> = done.then(free, free)
            return buffer.source
          })
        )
      )

    return {
      kind: "engine",
      models: Effect.succeed(models),
      open,
      info,
      countPromptTokens: (request) => countPromptTokens(prepareContext, request),
      load: Effect.sync(pool.stats),
      health: Effect.succeed({
        state: "ready",
        gpu: gpuName(info.gpu),
        restarts: 0
      }),
      close: Effect.promise(async () => {
        await context.dispose()
        await model.dispose()
      })
    } satisfies EngineBackend
  })
