/**
 * `parlance serve`: the server on the embedded engine (default) or in front of an upstream (`--upstream`).
 * Ctrl-C / SIGTERM drains in-flight streams (each ends with its terminal event) and exits cleanly.
 * @since 0.1.0
 */
import type { ChatBackend } from "@parlance/schema"
import * as Command from "effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import { join } from "node:path"
import { ConfigError } from "./ConfigFile.js"
import { ensureDemoModel } from "./internal/demoModel.js"
import { type EngineNotInstalled, loadEngine } from "./internal/optionalEngine.js"
import { readConfig, routerBackend } from "./internal/routerBackend.js"
import { optional, type ServeConfig, serveOptions } from "./ServeOptions.js"

/** A small real instruct model with tool calling and thinking, downloaded once and cached. */
export const defaultModel = "hf:unsloth/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q4_K_M.gguf"

const banner = (lines: ReadonlyArray<string>) => {
  const width = Math.max(...lines.map((l) => l.length)) + 4
  const bar = "─".repeat(width)
  return [`┌${bar}┐`, ...lines.map((l) => `│  ${l.padEnd(width - 2)}│`), `└${bar}┘`].join("\n")
}

/** A one-line progress bar on the terminal while the weights load. */
const loadProgressBar = (model: string) => {
  let shown = -1
  return (fraction: number) => {
    const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100)
    if (percent === shown) return
    shown = percent
    const width = 30
    const filled = Math.round((percent / 100) * width)
    process.stderr.write(
      `\rloading ${model.split("/").pop()} ${"█".repeat(filled)}${"░".repeat(width - filled)} ${percent}%`
    )
    if (percent === 100) process.stderr.write("\n")
  }
}

// The engine and the server load on `serve` only, so `chat`, `check` and `replay` start fast (and the engine,
// an optional peer, only without --upstream).
const loadServer = Effect.promise(() => import("@parlance/server"))

const engineBackend = (config: ServeConfig, model: string, allowDownload = true) =>
  Effect.flatMap(loadEngine, ({ Engine }) =>
    // In a child process: a native abort in llama.cpp ends the runner, which restarts; the server stays up.
    Engine.spawn({
      model,
      allowDownload,
      gpu: config.gpu === "cpu" ? false : config.gpu,
      contextSize: config.ctxSize,
      parallel: config.parallel,
      queueLimit: config.queue,
      downloadProgress: process.stdout.isTTY === true,
      ...(process.stderr.isTTY === true ? { onLoadProgress: loadProgressBar(model) } : {}),
      ...(config.threads > 0 ? { threads: config.threads } : {}),
      ...(optional(config.modelName) !== undefined ? { modelName: optional(config.modelName)! } : {})
    })
  )

/** Whether a host answers within a few seconds (any HTTP status counts). */
const reachable = (url: string) =>
  Effect.promise(() =>
    fetch(url, { method: "HEAD", signal: AbortSignal.timeout(4_000) }).then(
      () => true,
      () => false
    )
  )

/** Upstream if asked; else the named model; else the default model, or the tiny demo model when offline. */
const makeBackend = (config: ServeConfig) =>
  Effect.gen(function* () {
    const file = optional(config.config)
    if (file !== undefined) return yield* routerBackend(config, yield* readConfig(file))
    const upstream = optional(config.upstream)
    if (upstream !== undefined) {
      const { Upstream } = yield* loadServer
      const backend = Upstream.make({
        baseUrl: upstream,
        apiKey: optional(config.upstreamApiKey),
        connectTimeoutMs: config.upstreamTimeout,
        idleTimeoutMs: config.upstreamIdleTimeout * 1000,
        ...(config.contextWindow > 0 ? { contextWindow: config.contextWindow } : {})
      })
      yield* Console.log(`proxy mode: upstream ${backend.baseUrl}`)
      return { backend: backend as ChatBackend.ChatBackend, model: undefined as string | undefined, demo: false }
    }
    yield* loadEngine // without the engine installed: the one-line install hint, before any model is tried
    const named = optional(config.model)
    if (named !== undefined) {
      const engine = yield* engineBackend(config, named)
      return { backend: engine as ChatBackend.ChatBackend, model: engine.info.modelName, demo: false }
    }
    // Offline, a download attempt can hang for minutes: probe first, and then only use the cache.
    const online = yield* reachable("https://huggingface.co")
    const real = yield* engineBackend(config, defaultModel, online).pipe(Effect.result)
    if (real._tag === "Success")
      return { backend: real.success as ChatBackend.ChatBackend, model: real.success.info.modelName, demo: false }
    yield* Console.error(`Could not load the default model ${defaultModel}: ${real.failure.message}`)
    // The offline fallback: the scripted tiny model, generated into the cache directory on first use.
    const demoModelPath = yield* Effect.promise(() => ensureDemoModel())
    // A 16 MB model is faster on one thread than on several (they spend their time synchronising).
    const tiny = yield* engineBackend(config.threads > 0 ? config : { ...config, threads: 1 }, demoModelPath)
    return { backend: tiny as ChatBackend.ChatBackend, model: tiny.info.modelName, demo: true }
  })

/**
 * node-llama-cpp's dependencies register `signal-exit`, which re-raises SIGTERM/SIGINT (killing the process
 * before the drain) once it believes it is the last listener. This listener stays, so the graceful shutdown
 * runs; a second signal (which the runtime ignores while the first one's drain runs) forces the exit.
 */
const keepGracefulShutdown = Effect.sync(() => {
  let signals = 0
  const guard = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(signal === "SIGINT" ? 130 : 143)
  }
  process.on("SIGINT", guard)
  process.on("SIGTERM", guard)
})

export const serve = Command.make("serve", serveOptions, (config) =>
  Effect.gen(function* () {
    yield* keepGracefulShutdown
    const { backend, model, demo } = yield* makeBackend(config)
    const { Backend, ResponseStore, Server } = yield* loadServer
    const apiKey = optional(config.apiKey)
    const cors = optional(config.cors)
    const server = Server.layer({
      host: config.host,
      port: config.port,
      apiKey,
      metricsPublic: config.metricsPublic,
      bodyLimit: config.bodyLimit,
      headersTimeoutMs: config.headersTimeout * 1000,
      requestTimeoutMs: config.requestTimeout * 1000,
      maxJsonDepth: config.maxJsonDepth,
      inputFiles: { urls: config.fileUrls, maxBytes: config.fileUrlMaxBytes, timeoutMs: config.fileUrlTimeout },
      heartbeatMs: config.heartbeatInterval,
      staleAfterMs: config.staleAfter,
      store: config.store,
      storeLockWaitMs: config.storeLockWait,
      storePoolSize: config.storePoolSize,
      storeStatementTimeoutMs: config.storeStatementTimeout,
      storeSslMode: optional(config.storeSslMode),
      storeSslRootCert: optional(config.storeSslRootCert),
      dataDir: config.dataDir,
      recordDir: optional(config.recordDir),
      drainTimeoutMs: config.drainTimeout,
      cors: cors === undefined ? undefined : cors.split(",").map((s) => s.trim()),
      strictTools: config.strictTools,
      defaultMaxOutputTokens: config.maxOutputTokens > 0 ? config.maxOutputTokens : undefined,
      defaultModel: model,
      secret: optional(config.secret),
      secretFile: optional(config.secretFile),
      assistantPhase: config.upstreamPhase,
      otlpEndpoint: optional(config.otlpEndpoint),
      dialect: config.dialect
    }).pipe(Layer.provide(Backend.layer(backend)))
    const announce = Layer.effectDiscard(
      Effect.flatMap(HttpServer.HttpServer, (listening) =>
        Console.log(
          instructions(Server.url(listening.address), config, {
            apiKey,
            model,
            demo,
            redactUrl: ResponseStore.redactUrl
          })
        )
      )
    )
    // Released last, once the drain and the listener are done.
    const stopped = Layer.effectDiscard(Effect.addFinalizer(() => Console.log("parlance stopped")))
    return yield* Layer.launch(announce.pipe(Layer.provide(server), Layer.provide(stopped)))
  }).pipe(
    Effect.scoped,
    Effect.catchTag("EngineNotInstalled", (missing: EngineNotInstalled) =>
      Effect.andThen(
        Console.error(missing.message),
        Effect.sync(() => void (process.exitCode = 1))
      )
    ),
    // A config error stops the start before anything listens, each problem with its line.
    Effect.catchIf(
      (error): error is ConfigError => error instanceof ConfigError,
      (error) =>
        Effect.andThen(
          Console.error(`parlance: the config file has errors:\n${error.message}`),
          Effect.sync(() => void (process.exitCode = 2))
        )
    )
  )
).pipe(Command.withDescription("Start the Responses API server (embedded engine, or --upstream for proxy mode)"))

/** The store as the banner names it: a PostgreSQL URL without its password. */
const storeLabel = (config: ServeConfig, redactUrl: (url: string) => string) =>
  config.store === "sqlite"
    ? `sqlite in ${join(config.dataDir, "parlance.db")}`
    : config.store === "memory"
      ? "memory"
      : `postgres ${redactUrl(config.store)}`

/** What the console shows once the server listens: where it is, and how the usual clients reach it. */
const instructions = (
  url: string,
  config: ServeConfig,
  {
    apiKey,
    model,
    demo,
    redactUrl
  }: {
    apiKey: string | undefined
    model: string | undefined
    demo: boolean
    redactUrl: (url: string) => string
  }
) => {
  const modelId = model ?? "<the upstream's model>"
  return [
    ...(demo
      ? [
          banner([
            "DEMO MODE (offline): the scripted test model is loaded, not a language model. It follows a script:",
            `it answers "Hello! I am a small test model.", calls the first tool offered, answers tool results.`,
            "Pass a real model: parlance serve --model ./model.gguf  (or --model hf:owner/repo/file.gguf)",
            "or put Parlance in front of a server: parlance serve --upstream http://127.0.0.1:8081/v1"
          ])
        ]
      : []),
    `parlance listening on ${url}  (POST ${url}/v1/responses)`,
    `store: ${storeLabel(config, redactUrl)}`,
    "",
    "openai SDK:",
    `  const client = new OpenAI({ baseURL: "${url}/v1", apiKey: ${apiKey ? "process.env.PARLANCE_API_KEY" : '"unused"'} })`,
    `  const r = await client.responses.create({ model: "${modelId}", input: "Hello" })`,
    "",
    "Codex CLI (~/.codex/config.toml):",
    `  model = "${modelId}"`,
    `  model_provider = "parlance"`,
    `  [model_providers.parlance]`,
    `  name = "Parlance"`,
    `  base_url = "${url}/v1"`,
    `  model_catalog_url = "${url}/v1/models"`,
    `  env_key = "PARLANCE_API_KEY"${apiKey ? "" : "   # any value: this server has no --api-key"}`,
    `  wire_api = "responses"`,
    `  [features]`,
    `  api_key_model_discovery = true`,
    ""
  ].join("\n")
}
