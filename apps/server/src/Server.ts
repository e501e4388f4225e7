/**
 * The server as a Layer: the HTTP app served by `HttpServer.serve` on `NodeHttpServer.layer`, over its
 * services — the response store, metrics, the registry of running generations, the recorder, the config —
 * with the Backend left to the caller (`Upstream.layer`, or an engine through `Backend.layer`). Closing the
 * layer drains: new generations are refused, running ones finish (or are stopped with their terminal event),
 * and only then does the listener close. `start` runs the layer for tests and scripts.
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpServer from "effect/http/HttpServer"
import type { ServeError } from "effect/http/HttpServerError"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as NetAddress from "effect/net/NetAddress"
import { createServer } from "node:http"
import * as Backend from "./Backend.js"
import type { ConversationStore } from "./ConversationStore.js"
import * as Generations from "./Generations.js"
import * as HttpApp from "./HttpApp.js"
import * as Metrics from "./Metrics.js"
import * as Recorder from "./Recorder.js"
import * as Replica from "./Replica.js"
import { isPostgresUrl, type SslMode } from "./internal/stores/pgDb.js"
import * as ResponseStore from "./ResponseStore.js"
import { loadKey, makeSealer, type Sealer } from "./internal/generation/reasoningSeal.js"
import * as ServerConfig from "./ServerConfig.js"
import * as Tracing from "./Tracing.js"

/** @category models */
export interface ServerOptions extends Partial<Omit<ServerConfig.ServerConfigService, "ids">> {
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  /** `memory`, `sqlite` (default `memory`), or a PostgreSQL URL `postgres://user:pass@host:port/db`. */
  readonly store?: "memory" | "sqlite" | (string & {})
  /** Where `parlance.db` lives with `store: "sqlite"`. */
  readonly dataDir?: string
  /**
   * With `store: "sqlite"`: how long one store call may wait for the database lock (another replica's writes)
   * before it fails; a response whose final record fails so ends `failed` (ms, default 10 000).
   */
  readonly storeLockWaitMs?: number
  /** With a PostgreSQL store: most connections (default 10). */
  readonly storePoolSize?: number
  /** With a PostgreSQL store: PostgreSQL's `statement_timeout`, and the bound on one store call (ms, default 5 000). */
  readonly storeStatementTimeoutMs?: number
  /** With a PostgreSQL store: libpq's sslmode (overrides the URL's). */
  readonly storeSslMode?: SslMode
  /** With a PostgreSQL store: the CA's PEM file (verify-ca / verify-full). */
  readonly storeSslRootCert?: string
  readonly recordDir?: string | undefined
  /** How long shutdown waits for in-flight streams before stopping them (ms). */
  readonly drainTimeoutMs?: number
  /** The replica's heartbeat and stale-record sweep period (ms, default 5 000). */
  readonly heartbeatMs?: number
  /** A heartbeat older than this marks its in-progress records failed (ms, default 15 000). */
  readonly staleAfterMs?: number
  /**
   * The key that seals `encrypted_content` (reasoning, compaction summaries): any string. Else `secretFile`'s
   * text; else a key generated once and kept in `dataDir`; without a data dir, a key for this process only.
   */
  readonly secret?: string | undefined
  readonly secretFile?: string | undefined
  /** Export traces over OTLP/HTTP to this collector (`Tracing`); undefined: no tracing, at no cost. */
  readonly otlpEndpoint?: string | undefined
}

/** The store the options name, as a layer. @category layers */
export const storeLayer = (
  options: Pick<
    ServerOptions,
    | "store"
    | "dataDir"
    | "storeLockWaitMs"
    | "storePoolSize"
    | "storeStatementTimeoutMs"
    | "storeSslMode"
    | "storeSslRootCert"
  >
): Layer.Layer<ResponseStore.ResponseStore | ConversationStore, ResponseStore.StoreError> =>
  options.store === "sqlite"
    ? ResponseStore.layerSqlite(options.dataDir ?? ".parlance", { lockWaitMs: options.storeLockWaitMs })
    : options.store !== undefined && isPostgresUrl(options.store)
      ? ResponseStore.layerPostgres({
          url: options.store,
          ...(options.storePoolSize === undefined ? {} : { poolSize: options.storePoolSize }),
          ...(options.storeStatementTimeoutMs === undefined
            ? {}
            : { statementTimeoutMs: options.storeStatementTimeoutMs }),
          ...(options.storeSslMode === undefined ? {} : { sslMode: options.storeSslMode }),
          ...(options.storeSslRootCert === undefined ? {} : { sslRootCert: options.storeSslRootCert })
        })
      : ResponseStore.layerMemory()

/** Every service but the Backend and the store, from the options. @category layers */
export const servicesLayer = (
  options: ServerOptions
): Layer.Layer<
  Metrics.Metrics | Generations.Generations | Recorder.Recorder | ServerConfig.ServerConfig | Replica.Replica,
  never,
  ResponseStore.ResponseStore
> =>
  Layer.mergeAll(
    Metrics.layer,
    Generations.layer,
    Recorder.layer(options.recordDir),
    ServerConfig.layer({
      ...options,
      sealer: options.sealer ?? sealerFor(options),
      tracing: options.tracing ?? options.otlpEndpoint !== undefined
    }),
    Replica.layer({ heartbeatMs: options.heartbeatMs, staleAfterMs: options.staleAfterMs })
  )

/** The sealer of `encrypted_content`, from `--secret`, its file, or the key kept in the data dir. */
const sealerFor = (options: ServerOptions): Sealer =>
  makeSealer(loadKey({ secret: options.secret, secretFile: options.secretFile, dataDir: options.dataDir }))

/**
 * Serving: the app on the HttpServer, and the drain as this layer's finalizer — registered after the
 * listener started, so it runs before the listener closes. Needs the HttpServer and every service.
 * @category layers
 */
export const serve = (options: Pick<ServerOptions, "drainTimeoutMs" | "otlpEndpoint"> = {}) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const app = yield* HttpApp.make
      const server = yield* HttpServer.HttpServer
      const generations = yield* Generations.Generations
      // Per-request tracing spans cost more than a short request itself: only with a collector to send them to.
      const untraced = options.otlpEndpoint === undefined
      yield* server.serve(app).pipe(Effect.provideService(HttpMiddleware.TracerDisabledWhen, () => untraced))
      yield* Effect.addFinalizer(() => generations.drain(Duration.millis(options.drainTimeoutMs ?? 10_000)))
    })
  )

/**
 * The Node listener, with the limits on slow clients: a request's headers must arrive within
 * `headersTimeoutMs`, its body within `requestTimeoutMs` (a response, however long it streams, is not bounded
 * by either). Node checks them every `connectionsCheckingInterval` (30 s by default, which let a client
 * dribbling bytes hold a socket for 90 s): here a second, or less for short limits.
 */
const listener = (options: ServerOptions) => {
  const { headersTimeoutMs: headersTimeout, requestTimeoutMs: requestTimeout } = ServerConfig.timeoutsOf(options)
  const limits = [headersTimeout, requestTimeout].filter((ms) => ms > 0)
  const connectionsCheckingInterval = Math.max(50, Math.min(1_000, ...limits.map((ms) => Math.floor(ms / 4))))
  return NodeHttpServer.layerServer(
    () => createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval }),
    {
      port: options.port ?? 8080,
      host: options.host ?? "127.0.0.1",
      // WebSocket mode: a message is bounded like a request body (past it, `ws` closes the socket with 1009).
      websocket: { maxPayload: options.bodyLimit ?? ServerConfig.defaultBodyLimit }
    }
  )
}

/**
 * The whole server from its options, over a Backend: listener, app, store, metrics, generations, recorder.
 * Its output is the HttpServer (for the address) and the services a caller may want to read (Metrics…).
 * @category layers
 */
export const layer = (
  options: ServerOptions
): Layer.Layer<
  HttpServer.HttpServer | Metrics.Metrics | Generations.Generations | ResponseStore.ResponseStore,
  ServeError | ResponseStore.StoreError,
  Backend.Backend
> => {
  if (options.apiKey === "") return Layer.unwrap(Effect.die(new Error("The API key must not be empty.")))
  const invalid = ServerConfig.validateTimeouts(options)
  if (invalid !== undefined) return Layer.unwrap(Effect.die(new Error(invalid)))
  const tracing = options.otlpEndpoint === undefined ? Layer.empty : Tracing.layer({ endpoint: options.otlpEndpoint })
  return serve(options).pipe(
    Layer.provideMerge(listener(options)),
    Layer.provideMerge(servicesLayer(options)),
    Layer.provideMerge(storeLayer(options)),
    Layer.provide(tracing)
  )
}

/** The address clients use (a wildcard listener is reached on loopback). @category utils */
export const url = (address: NetAddress.SocketAddress): string => {
  if (address._tag === "UnixPathAddress") return `http+unix://${address.path}`
  const host = NetAddress.isUnspecified(address.address) ? "127.0.0.1" : NetAddress.formatUrlHost(address.address)
  return `http://${host}:${address.port}`
}

/** @category models */
export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly metrics: Metrics.MetricsService
  /** Drain and stop. Safe to call twice. */
  readonly close: () => Promise<void>
}

/**
 * Runs `layer(options)` over `options.backend` (any ChatBackend, or a Backend layer) in its own runtime, for
 * tests and scripts; `close` disposes of it (drain included).
 * @category constructors
 */
export const start = async (
  options: ServerOptions & { readonly backend: Backend.BackendService | Layer.Layer<Backend.Backend> }
): Promise<RunningServer> => {
  const backend = "open" in options.backend ? Backend.layer(options.backend) : options.backend
  const runtime = ManagedRuntime.make(layer(options).pipe(Layer.provide(backend)))
  const { address, metrics } = await runtime
    .runPromise(Effect.all({ address: Effect.map(HttpServer.HttpServer, (s) => s.address), metrics: Metrics.Metrics }))
    .catch(async (error) => {
      await runtime.dispose()
      throw error
    })
  let closing: Promise<void> | undefined
  return {
    url: url(address),
    port: address._tag === "UnixPathAddress" ? 0 : address.port,
    metrics,
    close: () => (closing ??= runtime.dispose())
  }
}
