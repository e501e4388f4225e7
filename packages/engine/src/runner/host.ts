/**
 * The engine runner: the child process the server starts (`client.ts`) so that a native abort in llama.cpp ends
 * this process, not the server. It loads the model with the in-process engine (`Engine.make`), proves the GPU
 * backend with a one-token decode before it reports ready, then serves requests from the IPC channel: each
 * request's chunks go back in batches (one message per batch, as the engine's buffer hands them over).
 * Signals are the server's to handle (it drains first); the runner ends when the server disconnects.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import type { ChatCompletionChunk, ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import type { Source } from "@parlance/schema/Source"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as References from "effect/References"
import * as Scope from "effect/Scope"
import { EngineLoadError } from "../EngineError.js"
import { coalesce } from "../internal/chunks.js"
import { type EngineBackend, make } from "../internal/engine.js"
import { errorMessage } from "../internal/errors.js"
import { cudaPtxError, parseFaults } from "./gpu.js"
import { probe } from "./probe.js"
import type { ErrorFields, FromRunner, RunnerOptions, ToRunner } from "./protocol.js"

const send = (message: FromRunner, then?: () => void): void => {
  if (process.connected) process.send!(message, undefined, undefined, then)
}

const fieldsOf = (error: BackendError): ErrorFields => ({
  reason: error.reason,
  message: error.message,
  param: error.param,
  code: error.code
})

const internalError = (message: string): ErrorFields => ({
  reason: "internal",
  message,
  param: null,
  code: "engine_error"
})

const faults = parseFaults(process.env.PARLANCE_ENGINE_FAULT)
// Test hook: only the first runner a server starts aborts (its restarts run clean).
const abortAfter = process.env.PARLANCE_RUNNER_START === "1" ? faults.abortAfterTokens : undefined
let streamed = 0

const scope = Effect.runSync(Scope.make())
/** The requests generating now: how to stop each (before it opened: interrupt the opening; after: release). */
const active = new Map<number, () => void>()
let engine: EngineBackend | undefined

/** A request's batches to the server, one message each; its end or failure after them. Stopped: nothing more. */
const pump = (id: number, request: ChatCompletionRequest, backend: EngineBackend): void => {
  let stopped = false
  const emit = (batch: ReadonlyArray<ChatCompletionChunk>): void => {
    const chunks = coalesce(batch)
    if (abortAfter === undefined) return send({ t: "chunks", id, chunks })
    for (const chunk of batch) if ((chunk.choices[0]?.delta?.content ?? "") !== "") streamed++
    send({ t: "chunks", id, chunks }, streamed >= abortAfter ? () => process.abort() : undefined)
  }
  const read = async (source: Source): Promise<void> => {
    for (;;) {
      const batch = await source.next()
      if (batch._tag === "Chunks") {
        if (!stopped && batch.chunks.length > 0) emit(batch.chunks)
        continue
      }
      active.delete(id)
      if (!stopped) send(batch._tag === "End" ? { t: "end", id } : { t: "error", id, error: fieldsOf(batch.error) })
      return
    }
  }
  const opening = Effect.runFork(
    Effect.result(backend.open(request, { onQueued: () => void (stopped || send({ t: "queued", id })) }))
  )
  active.set(id, () => {
    stopped = true
    Effect.runFork(Fiber.interrupt(opening))
  })
  opening.addObserver((exit) => {
    if (Exit.isFailure(exit)) {
      active.delete(id)
      if (!Cause.hasInterruptsOnly(exit.cause))
        send({ t: "error", id, error: internalError(`Generation failed: ${Cause.pretty(exit.cause)}`) })
      return
    }
    const result = exit.value
    if (result._tag === "Failure") {
      active.delete(id)
      if (!stopped) send({ t: "error", id, error: fieldsOf(result.failure) })
      return
    }
    const source = result.success
    if (stopped) return void source.release()
    active.set(id, () => {
      stopped = true
      void source.release()
    })
    void read(source)
  })
}

const start = async (options: RunnerOptions): Promise<void> => {
  // The wire's options are the engine's, less its progress callback (a flag on the wire).
  const { loadProgress, ...engineOptions } = options
  if (options.gpu !== false && faults.probeAbort.includes(options.gpu)) {
    process.stderr.write(`${cudaPtxError.join("\n")}\n`)
    process.abort()
  }
  const made = await Effect.runPromiseExit(
    make({
      ...engineOptions,
      ...(loadProgress === true ? { onLoadProgress: (fraction: number) => send({ t: "progress", fraction }) } : {})
    }).pipe(
      Scope.provide(scope),
      // The server announces the engine once it is proven; llama.cpp's own warnings still reach stderr.
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  )
  if (Exit.isFailure(made)) {
    const error = Cause.squash(made.cause)
    return send(
      error instanceof EngineLoadError
        ? { t: "failed", stage: "load", message: error.message, reason: error.reason, path: error.path }
        : { t: "failed", stage: "load", message: errorMessage(error) }
    )
  }
  const backend = made.value
  const proven = await probe(backend)
  if (proven._tag === "Failed") return send({ t: "failed", stage: "probe", message: proven.message })
  engine = backend
  const models = await Effect.runPromise(Effect.orElseSucceed(backend.models, () => []))
  send({ t: "ready", info: backend.info, models, probeMs: proven.ms })
}

const handle = (message: ToRunner): void => {
  if (message.t === "start") {
    void start(message.options)
    return
  }
  const backend = engine
  if (backend === undefined) return
  switch (message.t) {
    case "open":
      return pump(message.id, message.request, backend)
    case "cancel": {
      active.get(message.id)?.()
      return
    }
    case "count":
      void Effect.runPromise(Effect.result(backend.countPromptTokens(message.request))).then((result) =>
        send(
          result._tag === "Success"
            ? { t: "counted", id: message.id, tokens: result.success }
            : { t: "counted", id: message.id, error: fieldsOf(result.failure) }
        )
      )
      return
    case "stats":
      return send({ t: "stats", id: message.id, stats: Effect.runSync(backend.load) })
  }
}

process.on("message", (message) => handle(message as ToRunner))
// The server decides when the engine stops: Ctrl-C and SIGTERM reach the whole process group, and the server
// drains its streams (which need this process) before it disconnects.
process.on("SIGINT", () => {})
process.on("SIGTERM", () => {})
process.on("disconnect", () => {
  void Effect.runPromise(Scope.close(scope, Exit.void)).finally(() => process.exit(0))
})
