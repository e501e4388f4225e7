/**
 * `parlance serve --config FILE`: the file's models as one Router backend (README "Many models"). Upstreams are
 * made at once; embedded models (entries and `models_dir`'s GGUFs) go through one EnginePool, loaded on first use
 * in a runner process each, their memory checked first, the least recently used unloaded past `models_max`.
 * Flags give the defaults (ctx size, parallel, queue, threads, gpu, upstream timeouts).
 */
import { ChatBackend } from "@parlance/schema"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { readFileSync } from "node:fs"
import { basename } from "node:path"
import type { BackendSpec, EngineSpec, ResolvedConfig } from "../ConfigFile.js"
import { ConfigError, parse } from "../ConfigFile.js"
import { optional, type ServeConfig } from "../ServeOptions.js"
import { loadEngine } from "./optionalEngine.js"

const loadServer = Effect.promise(() => import("@parlance/server"))

/** The file read and checked; a ConfigError (every problem, with its line) otherwise. */
export const readConfig = (file: string): Effect.Effect<ResolvedConfig, ConfigError> =>
  Effect.suspend(() => {
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch (error) {
      return Effect.fail(new ConfigError(file, [{ line: 0, message: `cannot read it (${(error as Error).message})` }]))
    }
    const parsed = parse(text, file)
    return Result.isSuccess(parsed) ? Effect.succeed(parsed.success) : Effect.fail(parsed.failure)
  })

/** An embedded model as the pool loads it: its file, the name it serves under, its options. */
interface PoolModel {
  readonly key: string
  readonly name: string
  readonly spec: EngineSpec
}

const { BackendError } = ChatBackend
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

/** Progress in the log (not a terminal bar: several models may load while others serve). */
const progressLog = (name: string) => {
  let shown = -1
  return (fraction: number) => {
    const quarter = Math.floor(Math.max(0, Math.min(1, fraction)) * 4)
    if (quarter <= shown) return
    shown = quarter
    process.stderr.write(`loading ${name}: ${quarter * 25}%\n`)
  }
}

export const routerBackend = (config: ServeConfig, file: ResolvedConfig) =>
  Effect.gen(function* () {
    const { EnginePool, Router, Upstream } = yield* loadServer
    const needsEngine =
      file.modelsDir !== undefined || file.models.some((m) => m.backends.some((b) => b.kind === "engine"))
    const engine = needsEngine ? yield* loadEngine : undefined
    const gpu = (g: EngineSpec["gpu"]) => (g === "cpu" ? (false as const) : g)
    const pool = EnginePool.make<PoolModel>({
      max: file.modelsMax,
      loadTimeoutMs: file.loadTimeoutMs,
      idleUnloadMs: file.idleUnloadMs,
      load: ({ name, spec }) => {
        const threads = spec.threads ?? config.threads
        const contextSize = spec.ctxSize ?? config.ctxSize
        const parallel = spec.parallel ?? config.parallel
        return engine!.Engine.spawn({
          model: spec.model,
          modelName: name,
          gpu: gpu(spec.gpu ?? config.gpu),
          contextSize,
          parallel,
          queueLimit: spec.queue ?? config.queue,
          onLoadProgress: progressLog(name),
          ...(threads > 0 ? { threads } : {})
        }).pipe(
          // node-llama-cpp's own check (VRAM included) refused it: the same clear 503 as the estimate's.
          Effect.mapError((error) =>
            error.reason === "Memory"
              ? new BackendError({
                  reason: "overloaded",
                  code: "insufficient_memory",
                  param: null,
                  message: `The model '${name}' cannot be loaded: there is not enough free memory for it with a context of ${contextSize ?? "its default"} tokens × ${parallel} sequences.`
                })
              : error
          )
        )
      },
      // A URI's file is not here to read before it downloads: only local files are checked.
      fits: ({ spec }) =>
        /^(hf:|https?:)/.test(spec.model)
          ? Effect.succeed(undefined)
          : Effect.promise(() =>
              engine!.Engine.estimateMemory({
                model: spec.model,
                contextSize: spec.ctxSize ?? config.ctxSize,
                parallel: spec.parallel ?? config.parallel,
                gpu: gpu(spec.gpu ?? config.gpu)
              }).then(
                ({ required, free, gpu: onGpu }) =>
                  required <= free
                    ? undefined
                    : onGpu > 0
                      ? `it needs about ${mb(required)} of memory beside the ${mb(onGpu)} its GPU would hold, and ${mb(free)} are free`
                      : `it needs about ${mb(required)} of memory and ${mb(free)} are free`,
                () => undefined
              )
            )
    })
    yield* Effect.addFinalizer(() => pool.close)

    const engineRoute = (name: string, spec: EngineSpec) => {
      const backend = pool.backend({
        key: JSON.stringify([spec.model, spec.ctxSize, spec.parallel, spec.queue, spec.threads, spec.gpu, name]),
        name,
        spec
      })
      return {
        label: spec.label,
        kind: "engine" as const,
        model: name,
        weight: spec.weight,
        backend,
        loaded: backend.loaded,
        contextWindow: spec.ctxSize ?? config.ctxSize
      }
    }
    const route = (name: string, spec: BackendSpec) => {
      if (spec.kind === "engine") return engineRoute(name, spec)
      const upstream = Upstream.make({
        baseUrl: spec.baseUrl,
        apiKey: spec.apiKey,
        connectTimeoutMs: spec.timeoutMs ?? config.upstreamTimeout,
        idleTimeoutMs: spec.idleTimeoutMs ?? config.upstreamIdleTimeout * 1000,
        ...(spec.contextWindow !== undefined ? { contextWindow: spec.contextWindow } : {})
      })
      return {
        label: spec.label,
        kind: "upstream" as const,
        model: spec.model,
        weight: spec.weight,
        backend: upstream,
        contextWindow: spec.contextWindow,
        close: upstream.close
      }
    }
    const entries = file.models.map((m) => ({ name: m.name, backends: m.backends.map((b) => route(m.name, b)) }))
    yield* Effect.addFinalizer(() =>
      Effect.promise(() =>
        Promise.all(entries.flatMap((e) => e.backends.map((b) => ("close" in b ? b.close() : undefined))))
      )
    )
    const dir = file.modelsDir
    const scan = dir === undefined ? undefined : EnginePool.scanModels(dir)
    const router = Router.make({
      entries,
      traced: optional(config.otlpEndpoint) !== undefined,
      ...(scan === undefined
        ? {}
        : {
            discovered: () =>
              scan().map((f) => ({
                name: f.name,
                backends: [engineRoute(f.name, { kind: "engine", label: `engine:${basename(f.path)}`, model: f.path })]
              }))
          })
    })
    const names = router.names()
    yield* Console.log(
      `models: ${names.join(", ") || "(none yet)"}${dir === undefined ? "" : ` (and every GGUF in ${dir})`}${file.modelsMax === undefined ? "" : `; at most ${file.modelsMax} loaded`}`
    )
    return { backend: router, model: names[0], demo: false }
  })
