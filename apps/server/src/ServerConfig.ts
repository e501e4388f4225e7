/**
 * `ServerConfig`: how this server answers — limits, defaults, auth, CORS, the id source — as a service, read
 * once when the HTTP app is built.
 * @since 0.1.0
 */
import { type Dialect, Ids } from "@parlance/translate"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import { randomFillSync } from "node:crypto"
import { defaultInputFileOptions, type InputFileOptions } from "./internal/inputs/inputFiles.js"
import { loadKey, makeSealer, type Sealer } from "./internal/generation/reasoningSeal.js"

/** @category models */
export interface ServerConfigService {
  /** Request body limit in bytes, also after decompression (413 beyond it). */
  readonly bodyLimit: number
  /** Deepest nesting of arrays/objects a JSON body may have (400 beyond it). */
  readonly maxJsonDepth: number
  /** Refuse built-in tools (web_search, mcp…) with a 400 instead of skipping them. */
  readonly strictTools: boolean
  /** Cap on generated tokens for requests that set none (like llama-server's `--n-predict`). */
  readonly defaultMaxOutputTokens: number | undefined
  /** The model used when a request names none. */
  readonly defaultModel: string | undefined
  /** Undefined: every route is open. */
  readonly apiKey: string | undefined
  /** `/metrics` without the key (it reveals routes, request counts and token totals). */
  readonly metricsPublic: boolean
  /** Allowed CORS origins (`*` for any); undefined disables CORS headers. */
  readonly cors: ReadonlyArray<string> | undefined
  /** Where response, item and call ids come from. */
  readonly ids: Ids.IdGenerator
  /** `input_file` by `file_url`: the largest file (bytes) and the time it may take (ms). */
  readonly inputFiles: InputFileOptions
  /** Seals reasoning and compaction summaries into `encrypted_content`, and opens them when they come back. */
  readonly sealer: Sealer
  /** Send assistant messages' `phase` to the backend (an upstream known to read it). */
  readonly assistantPhase: boolean
  /**
   * The event names streams use when the request does not ask (docs/architecture.md#dialects): OpenAI's
   * (default) or the Open Responses spec's.
   */
  readonly dialect: Dialect.Dialect
  /**
   * How long a client may take to send a request's headers (ms, Node's `headersTimeout`); past it the
   * socket is closed (408). Bounds clients that dribble header bytes to hold sockets. 0: no limit.
   */
  readonly headersTimeoutMs: number
  /**
   * How long a client may take to send a whole request, body included (ms, Node's `requestTimeout`); not
   * the response, which may stream for as long as it generates. 0: no limit.
   */
  readonly requestTimeoutMs: number
  /** Spans are exported (`--otlp-endpoint`): the generation and its store writes make theirs. */
  readonly tracing: boolean
}

/** The request body limit by default (32 MiB); also WebSocket mode's message limit. @category constructors */
export const defaultBodyLimit = 32 * 1024 * 1024

/** Node's `headersTimeout` by default: 30 s. @category constructors */
export const defaultHeadersTimeoutMs = 30_000
/** Node's `requestTimeout` by default: 300 s, for a large body on a slow link. @category constructors */
export const defaultRequestTimeoutMs = 300_000

/** The slow-client limits the options set, with their defaults. @category utils */
export const timeoutsOf = (
  options: Partial<Pick<ServerConfigService, "headersTimeoutMs" | "requestTimeoutMs">>
): Pick<ServerConfigService, "headersTimeoutMs" | "requestTimeoutMs"> => ({
  headersTimeoutMs: options.headersTimeoutMs ?? defaultHeadersTimeoutMs,
  requestTimeoutMs: options.requestTimeoutMs ?? defaultRequestTimeoutMs
})

/**
 * Why the timeouts cannot be used, or undefined: each a whole number of ms (0 for none), and the headers'
 * limit within the request's (Node refuses a server otherwise).
 * @category utils
 */
export const validateTimeouts = (
  options: Partial<Pick<ServerConfigService, "headersTimeoutMs" | "requestTimeoutMs">>
): string | undefined => {
  const { headersTimeoutMs: headers, requestTimeoutMs: request } = timeoutsOf(options)
  for (const [name, ms] of [
    ["headersTimeoutMs", headers],
    ["requestTimeoutMs", request]
  ] as const) {
    if (!Number.isSafeInteger(ms) || ms < 0)
      return `${name} must be a whole number of milliseconds (0 for no limit), not ${ms}.`
  }
  if (request > 0 && headers > request) {
    return `The headers timeout (${headers} ms) must not exceed the request timeout (${request} ms).`
  }
  return undefined
}

/** The `file_url` limits by default (20 MiB, 10 s, public hosts only). @category constructors */
export const defaultInputFiles: InputFileOptions = defaultInputFileOptions

/** @category tags */
export class ServerConfig extends Context.Service<ServerConfig, ServerConfigService>()(
  "@parlance/server/ServerConfig"
) {}

/** Random ids from 24 random bytes each, drawn from a pool (one `randomFillSync` per 170 ids, not per id). */
export const randomIds = (): Ids.IdGenerator => {
  const pool = new Uint8Array(24 * 170)
  let at = pool.length
  return Ids.random((bytes) => {
    if (at + bytes.length > pool.length) {
      randomFillSync(pool)
      at = 0
    }
    bytes.set(pool.subarray(at, (at += bytes.length)))
    return bytes
  })
}

/** @category constructors */
export const make = (options: Partial<ServerConfigService> = {}): ServerConfigService => ({
  bodyLimit: options.bodyLimit ?? defaultBodyLimit,
  maxJsonDepth: options.maxJsonDepth ?? 128,
  strictTools: options.strictTools ?? false,
  defaultMaxOutputTokens: options.defaultMaxOutputTokens,
  defaultModel: options.defaultModel,
  apiKey: options.apiKey,
  metricsPublic: options.metricsPublic ?? false,
  cors: options.cors,
  ids: options.ids ?? randomIds(),
  inputFiles: options.inputFiles ?? defaultInputFileOptions,
  // Without a configured key, one for this process: blobs live as long as the memory store's records.
  sealer: options.sealer ?? makeSealer(loadKey({})),
  assistantPhase: options.assistantPhase ?? false,
  tracing: options.tracing ?? false,
  dialect: options.dialect ?? "openai",
  ...timeoutsOf(options)
})

/** @category layers */
export const layer = (options: Partial<ServerConfigService> = {}): Layer.Layer<ServerConfig> =>
  Layer.sync(ServerConfig, () => make(options))
