/**
 * Starting and stopping the server: the store, the HTTP listener, and a graceful drain on shutdown (in-flight
 * streams finish, or are stopped with their terminal event, before the process exits).
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type { ChatBackend } from "@parlance/schema"
import { Ids } from "@parlance/translate"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { randomFillSync } from "node:crypto"
import { createServer } from "node:http"
import * as HttpApp from "./HttpApp.js"
import type { InFlight } from "./internal/generation.js"
import { makeMemoryStore } from "./internal/memoryStore.js"
import { makeSqliteStore } from "./internal/sqliteStore.js"
import { Metrics } from "./Metrics.js"
import type { ResponseStoreService } from "./ResponseStore.js"

/** @category models */
export interface ServerOptions {
  readonly backend: ChatBackend.ChatBackend
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  readonly apiKey?: string | undefined
  /** Serve `/metrics` without the key (`--metrics-public`). */
  readonly metricsPublic?: boolean
  readonly store?: "memory" | "sqlite"
  /** Where `parlance.db` lives with `store: "sqlite"`. */
  readonly dataDir?: string
  readonly recordDir?: string | undefined
  readonly cors?: ReadonlyArray<string> | undefined
  /** Request body limit in bytes (413 beyond it). */
  readonly bodyLimit?: number
  /** Refuse built-in tools (web_search, mcp…) with a 400 instead of skipping them. */
  readonly strictTools?: boolean
  /** Cap on generated tokens for requests that set none (like llama-server's `--n-predict`). */
  readonly defaultMaxOutputTokens?: number | undefined
  /** The model used when a request names none. */
  readonly defaultModel?: string | undefined
  /** How long shutdown waits for in-flight streams before stopping them (ms). */
  readonly drainTimeoutMs?: number
}

/** @category models */
export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly metrics: Metrics
  /** Drain and stop. Safe to call twice. */
  readonly close: () => Promise<void>
}

const openStore = (options: ServerOptions): Effect.Effect<ResponseStoreService, Error> =>
  options.store === "sqlite"
    ? makeSqliteStore(options.dataDir ?? ".parlance").pipe(Effect.mapError((e) => new Error(`${e.message}: ${String(e.cause)}`)))
    : Effect.succeed(makeMemoryStore())

/** @category constructors */
export const start = async (options: ServerOptions): Promise<RunningServer> => {
  // An empty key would be a key anyone can guess: refuse it rather than run open or half-protected.
  if (options.apiKey === "") throw new Error("The API key must not be empty.")
  const store = await Effect.runPromise(openStore(options))
  const metrics = new Metrics()
  const inflight = new Map<string, InFlight>()
  let draining = false
  const app = HttpApp.make({
    backend: options.backend,
    store,
    metrics,
    inflight,
    ids: Ids.random((bytes) => randomFillSync(bytes)),
    recordDir: options.recordDir,
    now: Date.now,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    strictTools: options.strictTools ?? false,
    defaultModel: options.defaultModel,
    defaultMaxOutputTokens: options.defaultMaxOutputTokens,
    apiKey: options.apiKey,
    metricsPublic: options.metricsPublic ?? false,
    cors: options.cors,
    isDraining: () => draining
  })
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(
    Effect.gen(function* () {
      const server = yield* NodeHttpServer.make(() => createServer(), { port: options.port ?? 8080, host: options.host ?? "127.0.0.1" })
      yield* server.serve(app)
      return server
    }).pipe(Scope.extend(scope))
  ).catch(async (error) => {
    await Effect.runPromise(store.close)
    throw error
  })
  const address = server.address
  const port = address._tag === "TcpAddress" ? address.port : 0
  const host = address._tag === "TcpAddress" ? address.hostname : "127.0.0.1"
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      draining = true
      const deadline = Date.now() + (options.drainTimeoutMs ?? 10_000)
      while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      // Past the grace period: stop what is left; each stream still ends with its terminal event.
      for (const { abort } of inflight.values()) Effect.runSync(Deferred.succeed(abort, undefined))
      const hardDeadline = Date.now() + 5_000
      while (inflight.size > 0 && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, 20))
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await Effect.runPromise(store.close)
    })())
  return { url: `http://${shownHost}:${port}`, port, metrics, close }
}
