/**
 * The engine in a child process (docs/architecture.md#engine), as Ollama runs its runner: a native abort in
 * llama.cpp ends the runner, never the server. This is the server's side: the same `EngineBackend` as the
 * in-process `Engine.make`, over IPC.
 *
 * Start: each GPU backend `candidates` names is tried in a fresh runner that must load the model and decode one
 * token; under `auto` a failure falls back to the next with one warning line, else it is the start's error.
 * A death later fails the streams in flight (`response.failed`, `server_error`), answers new requests 503
 * `engine_unavailable`, and restarts the runner on the same backend with a bounded backoff; health, stored
 * responses and everything else keep being served.
 *
 * Per token the server does no Effect work: a batch message's chunks are pushed onto the request's buffer
 * (`feed`), whose consumer runs once per batch.
 */
import { BackendError, type ModelInfo, type OpenOptions } from "@parlance/schema/ChatBackend"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import type { Source } from "@parlance/schema/Source"
import * as SourceBuffer from "@parlance/schema/SourceBuffer"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { getLlamaGpuTypes } from "node-llama-cpp"
import * as Fs from "node:fs"
import * as Os from "node:os"
import { EngineLoadError } from "../EngineError.js"
import { describe, type EngineBackend, type EngineHealth, type EngineInfo } from "../internal/engine.js"
import type { EngineOptions } from "../internal/options.js"
import { type Outcome, type Runner, startRunner } from "./child.js"
import {
  advice,
  candidates,
  causeOf,
  type Death,
  fallbackWarning,
  type Gpu,
  gpuName,
  parseFaults,
  runnerEnv
} from "./gpu.js"
import type { ErrorFields, FromRunner, RunnerOptions, Stats } from "./protocol.js"

/** Options of `Engine.spawn`: the in-process engine's, less the native log callback (the runner's stderr is passed through). */
export type SpawnOptions = Omit<EngineOptions, "logger">

/** A runner's message for one request into that request's buffer; true once the request is over. */
export const feed = (buffer: SourceBuffer.SourceBuffer, message: FromRunner): boolean => {
  switch (message.t) {
    case "chunks":
      buffer.offerAll(message.chunks)
      return false
    case "end":
      buffer.end()
      return true
    case "error":
      buffer.fail(new BackendError(message.error))
      return true
    default:
      return false
  }
}

const unavailable = (why: string): BackendError =>
  new BackendError({ reason: "overloaded", code: "engine_unavailable", param: null, message: why })

const died = (cause: string): BackendError =>
  new BackendError({
    reason: "internal",
    code: null,
    param: null,
    message: `The engine stopped while generating (${cause}); it is restarting.`
  })

/** Backoff before restart n (1-based) of a recent run of crashes: 0.5 s doubling, at most 30 s. */
export const restartDelayMs = (recentCrashes: number): number =>
  Math.min(30_000, 500 * 2 ** Math.max(0, recentCrashes - 1))
const CRASH_WINDOW_MS = 5 * 60_000

type State =
  | { readonly tag: "ready"; readonly runner: Runner }
  | { readonly tag: "restarting"; readonly cause: string }
  | { readonly tag: "closed" }

export const spawn: (options: SpawnOptions) => Effect.Effect<EngineBackend, EngineLoadError, Scope.Scope> =
  Effect.fnUntraced(function* (options: SpawnOptions) {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const faults = parseFaults(process.env.PARLANCE_ENGINE_FAULT)
    const requested = options.gpu ?? "auto"
    const supported: ReadonlyArray<Gpu> =
      requested === "auto"
        ? [...(yield* Effect.promise(() => getLlamaGpuTypes("supported"))), ...faults.probeAbort]
        : []
    const order = candidates(requested, supported)
    const { env, cudaCache } = runnerEnv(process.env, Os.homedir(), Fs.existsSync)
    try {
      Fs.mkdirSync(cudaCache, { recursive: true })
    } catch {
      // the driver then keeps no cache; not worth failing the start for
    }
    const base: Omit<RunnerOptions, "gpu"> = {
      model: options.model,
      contextSize: options.contextSize,
      parallel: options.parallel,
      queueLimit: options.queueLimit,
      threads: options.threads,
      modelName: options.modelName,
      modelsDirectory: options.modelsDirectory,
      downloadProgress: options.downloadProgress,
      allowDownload: options.allowDownload,
      loadProgress: options.onLoadProgress !== undefined
    }

    let nextId = 0
    const streams = new Map<number, SourceBuffer.SourceBuffer>()
    /** The `onQueued` of requests that have had no answer yet. */
    const waiting = new Map<number, () => void>()
    const replies = new Map<number, (message: FromRunner | undefined) => void>()
    const route = (message: FromRunner): void => {
      if (!("id" in message)) return
      const queued = waiting.get(message.id)
      if (queued !== undefined) {
        waiting.delete(message.id)
        if (message.t === "queued") return queued()
      }
      const buffer = streams.get(message.id)
      if (buffer !== undefined) {
        if (feed(buffer, message)) streams.delete(message.id)
        return
      }
      const reply = replies.get(message.id)
      if (reply !== undefined) {
        replies.delete(message.id)
        reply(message)
      }
    }
    let starts = 0
    const launch = (gpu: Gpu): Runner =>
      startRunner({
        options: { ...base, gpu },
        env: { ...env, PARLANCE_RUNNER_START: String(++starts) },
        onMessage: route,
        onProgress: options.onLoadProgress
      })
    const causeOfOutcome = (outcome: Exclude<Outcome, { t: "ready" }>): string =>
      outcome.t === "died" ? causeOf(outcome.death) : outcome.message

    // Start: the candidates in order, each proven or given up on.
    let first:
      | { readonly runner: Runner; readonly ready: Extract<Outcome, { t: "ready" }>; readonly gpu: Gpu }
      | undefined
    for (let i = 0; i < order.length && first === undefined; i++) {
      const gpu = order[i]!
      const runner = launch(gpu)
      const outcome = yield* Effect.promise(() => runner.started)
      if (outcome.t === "ready") {
        first = { runner, ready: outcome, gpu }
        break
      }
      yield* Effect.promise(() => runner.stop(2_000))
      const cause = causeOfOutcome(outcome)
      // The model itself is missing: no backend will do better.
      const modelMissing = outcome.t === "failed" && (outcome.reason === "NotFound" || outcome.reason === "Download")
      const next = order[i + 1]
      if (!modelMissing && next !== undefined) {
        yield* Effect.logWarning(fallbackWarning(gpu, cause, next))
        continue
      }
      return yield* new EngineLoadError({
        reason: outcome.t === "failed" ? (outcome.reason ?? "Load") : "Backend",
        path: (outcome.t === "failed" ? outcome.path : undefined) ?? options.model,
        message: modelMissing
          ? outcome.message
          : `engine: ${gpuName(gpu)} failed its probe (${cause}).${requested === "auto" ? "" : ` ${advice(gpu)}`}`
      })
    }
    if (first === undefined)
      return yield* new EngineLoadError({
        reason: "Backend",
        path: options.model,
        message: "engine: no backend to try"
      })

    const gpu = first.gpu
    const info: EngineInfo = first.ready.info
    const models: ReadonlyArray<ModelInfo> = first.ready.models
    let state: State = { tag: "ready", runner: first.runner }
    let restarts = 0
    let lastFailure: string | undefined
    const crashes: Array<number> = []
    let timer: ReturnType<typeof setTimeout> | undefined
    yield* Effect.logInfo(`${describe(info)}; proven by a one-token decode in ${first.ready.probeMs.toFixed(0)} ms`)

    const onDeath = (runner: Runner, death: Death): void => {
      const cause = causeOf(death)
      for (const [id, buffer] of streams) {
        buffer.fail(died(cause))
        streams.delete(id)
      }
      for (const [id, reply] of replies) {
        replies.delete(id)
        reply(undefined)
      }
      if (state.tag !== "ready" || state.runner !== runner) return
      scheduleRestart(cause, death.stderr)
    }
    const scheduleRestart = (cause: string, stderr: ReadonlyArray<string>): void => {
      lastFailure = cause
      state = { tag: "restarting", cause }
      const now = Date.now()
      crashes.push(now)
      while (crashes.length > 0 && crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift()
      const delay = restartDelayMs(crashes.length)
      const lines = stderr.slice(-5).map((l) => `\n  ${l}`)
      runFork(
        Effect.logError(
          `engine: the runner died (${cause}); restarting on ${gpuName(gpu)} in ${(delay / 1000).toFixed(1)} s` +
            (lines.length > 0 ? `; its last stderr lines:${lines.join("")}` : "")
        )
      )
      timer = setTimeout(restart, delay)
    }
    const watch = (runner: Runner): void => {
      void runner.exited.then((death) => onDeath(runner, death))
    }
    const restart = (): void => {
      timer = undefined
      if (state.tag === "closed") return
      const runner = launch(gpu)
      void runner.started.then((outcome) => {
        if (state.tag === "closed") return void runner.stop()
        if (outcome.t === "ready") {
          restarts++
          state = { tag: "ready", runner }
          watch(runner)
          runFork(Effect.logInfo(`engine: restarted on ${gpuName(gpu)} (restart ${restarts})`))
          return
        }
        void runner.stop(2_000)
        scheduleRestart(causeOfOutcome(outcome), outcome.t === "died" ? outcome.death.stderr : [])
      })
    }
    watch(first.runner)

    const notReady = (): BackendError =>
      unavailable(
        state.tag === "restarting"
          ? `The engine is restarting after it stopped (${state.cause}); try again in a few seconds.`
          : "The engine is not running."
      )

    /** One request/reply exchange with the runner; `undefined` when it died first. */
    const ask = <A>(
      send: (runner: Runner, id: number) => void,
      read: (message: FromRunner | undefined) => Effect.Effect<A, BackendError>
    ): Effect.Effect<A, BackendError> =>
      Effect.suspend(() => {
        if (state.tag !== "ready") return Effect.fail(notReady())
        const runner = state.runner
        return Effect.flatten(
          Effect.callback<Effect.Effect<A, BackendError>>((resume) => {
            const id = ++nextId
            replies.set(id, (message) => resume(Effect.succeed(read(message))))
            send(runner, id)
            return Effect.sync(() => replies.delete(id))
          })
        )
      })

    // The runner batches a request's tokens (one message per engine batch); they go onto the buffer as they come
    // ("microtask": the runner already throttled them). Released before its end (client gone, cancel): the
    // runner aborts the generation and frees the sequence.
    const open = (request: ChatCompletionRequest, options?: OpenOptions): Effect.Effect<Source, BackendError> =>
      Effect.suspend(() => {
        if (state.tag !== "ready") return Effect.fail(notReady())
        const runner = state.runner
        const id = ++nextId
        const buffer = SourceBuffer.make({
          wake: "microtask",
          onRelease: () => {
            waiting.delete(id)
            if (streams.delete(id)) runner.send({ t: "cancel", id })
          }
        })
        streams.set(id, buffer)
        if (options?.onQueued !== undefined) waiting.set(id, options.onQueued)
        runner.send({ t: "open", id, request })
        return Effect.succeed(buffer.source)
      })

    const idle: Stats = { busy: 0, waiting: 0, size: info.parallel }
    const close = Effect.promise(async () => {
      const current = state
      state = { tag: "closed" }
      if (timer !== undefined) clearTimeout(timer)
      if (current.tag === "ready") await current.runner.stop()
    })
    yield* Effect.addFinalizer(() => close)

    return {
      kind: "engine",
      info,
      models: Effect.succeed(models),
      open,
      countPromptTokens: (request) =>
        ask(
          (runner, id) => runner.send({ t: "count", id, request }),
          (message) =>
            message?.t === "counted" && message.tokens !== undefined
              ? Effect.succeed(message.tokens)
              : Effect.fail(
                  message?.t === "counted" && message.error !== undefined
                    ? new BackendError(message.error satisfies ErrorFields)
                    : notReady()
                )
        ),
      load: Effect.orElseSucceed(
        ask(
          (runner, id) => runner.send({ t: "stats", id }),
          (message) => Effect.succeed(message?.t === "stats" ? message.stats : idle)
        ),
        () => idle
      ),
      health: Effect.sync(
        (): EngineHealth => ({
          state: state.tag,
          gpu: gpuName(gpu),
          restarts,
          ...(lastFailure !== undefined ? { last_failure: lastFailure } : {})
        })
      ),
      close
    } satisfies EngineBackend
  })
