/**
 * `parlance serve` flags, in the spirit of llama-server. Every flag can also come from an environment
 * variable (`PARLANCE_<FLAG>`, e.g. `PARLANCE_PORT`, `PARLANCE_API_KEY`); the flag wins.
 * @since 0.1.0
 */
import * as Flag from "effect/cli/Flag"
import * as Config from "effect/Config"
import * as Option from "effect/Option"

const env = (flag: string) => `PARLANCE_${flag.toUpperCase().replace(/-/g, "_")}`

// The env fallback comes before `optional` / `withDefault`: those handle a missing flag, so after them the
// config would never be read.
const text = (flag: string, description: string) =>
  Flag.String(flag).pipe(
    Flag.withDescription(`${description} [env ${env(flag)}]`),
    Flag.withFallbackConfig(Config.String(env(flag))),
    Flag.optional
  )
const integer = (flag: string, fallback: number, description: string) =>
  Flag.Int(flag).pipe(
    Flag.withDescription(`${description} [env ${env(flag)}] (default ${fallback})`),
    Flag.withFallbackConfig(Config.Int(env(flag))),
    Flag.withDefault(fallback)
  )
const choice = <const C extends ReadonlyArray<string>>(
  flag: string,
  choices: C,
  fallback: C[number],
  description: string
) =>
  Flag.Literals(flag, choices).pipe(
    Flag.withDescription(`${description} [env ${env(flag)}] (default ${fallback})`),
    Flag.withFallbackConfig(Config.Literals(choices, env(flag))),
    Flag.withDefault(fallback)
  )
// A boolean flag is required in v4 unless given a default: off when neither the flag nor its env var is set.
const flag = (name: string, description: string) =>
  Flag.Boolean(name).pipe(
    Flag.withDescription(`${description} [env ${env(name)}]`),
    Flag.withFallbackConfig(Config.Boolean(env(name))),
    Flag.withDefault(false)
  )

export const serveOptions = {
  config: text(
    "config",
    'A models file (YAML or JSON): many models behind one server, routed by `model`, with fallbacks (README "Many models")'
  ),
  otlpEndpoint: Flag.String("otlp-endpoint").pipe(
    Flag.withDescription(
      "Export traces over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318) [env OTEL_EXPORTER_OTLP_ENDPOINT]"
    ),
    Flag.withFallbackConfig(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
    Flag.optional
  ),
  model: text("model", "GGUF path or node-llama-cpp URI (hf:owner/repo/file.gguf) for the embedded engine"),
  ctxSize: integer("ctx-size", 4096, "Context size per sequence, in tokens"),
  parallel: integer("parallel", 1, "Sequences generated concurrently by the embedded engine"),
  queue: integer("queue", 16, "Requests that may wait for a free sequence before 503"),
  threads: integer("threads", 0, "CPU threads for the engine (0 = the core count less one, leaving the server a core)"),
  gpu: choice(
    "gpu",
    ["auto", "cuda", "vulkan", "metal", "cpu"] as const,
    "auto",
    "GPU backend for the embedded engine"
  ),
  host: Flag.String("host").pipe(
    Flag.withDescription("Address to listen on [env PARLANCE_HOST] (default 127.0.0.1)"),
    Flag.withFallbackConfig(Config.String("PARLANCE_HOST")),
    Flag.withDefault("127.0.0.1")
  ),
  port: integer("port", 8080, "Port to listen on"),
  apiKey: text("api-key", "Require this key (Authorization: Bearer …) on every route except /health"),
  metricsPublic: flag(
    "metrics-public",
    "Serve /metrics without the API key (it shows routes, request counts and token totals)"
  ),
  upstream: text("upstream", "Proxy mode: base URL of a Chat Completions server (e.g. http://127.0.0.1:8081/v1)"),
  upstreamApiKey: text("upstream-api-key", "API key sent to the upstream"),
  upstreamTimeout: integer(
    "upstream-timeout",
    300_000,
    "Milliseconds to wait for the upstream's first byte (504 past it)"
  ),
  upstreamIdleTimeout: integer(
    "upstream-idle-timeout",
    60,
    "Seconds a streaming upstream may stay silent before the response fails (upstream_timeout)"
  ),
  dataDir: Flag.Directory("data-dir").pipe(
    Flag.withDescription("Where the SQLite store lives [env PARLANCE_DATA_DIR] (default ./.parlance)"),
    Flag.withFallbackConfig(Config.String("PARLANCE_DATA_DIR")),
    Flag.withDefault(".parlance")
  ),
  // The message never repeats the value: it may be a URL with a password.
  store: Flag.String("store").pipe(
    Flag.withDescription(
      "Response store: sqlite (one host), memory, or a PostgreSQL URL postgres://user:pass@host:port/db (several hosts) [env PARLANCE_STORE, then DATABASE_URL] (default sqlite)"
    ),
    Flag.withFallbackConfig(Config.String("PARLANCE_STORE").pipe(Config.orElse(() => Config.String("DATABASE_URL")))),
    Flag.withDefault("sqlite"),
    Flag.filter(
      (store) => store === "sqlite" || store === "memory" || /^postgres(ql)?:\/\//i.test(store),
      () => "--store must be sqlite, memory or a postgres:// URL"
    )
  ),
  storeLockWait: integer(
    "store-lock-wait",
    10_000,
    "With --store sqlite: milliseconds one store call may wait for the database lock (other replicas' writes) before it fails"
  ),
  storePoolSize: integer("store-pool-size", 10, "With a PostgreSQL store: most connections this replica opens"),
  storeStatementTimeout: integer(
    "store-statement-timeout",
    5_000,
    "With a PostgreSQL store: milliseconds one statement may run (PostgreSQL's statement_timeout); a request whose store call fails so gets a 503"
  ),
  storeSslMode: Flag.Literals("store-sslmode", [
    "disable",
    "prefer",
    "require",
    "verify-ca",
    "verify-full"
  ] as const).pipe(
    Flag.withDescription(
      "With a PostgreSQL store: TLS, as libpq's sslmode (overrides the URL's ?sslmode=; require encrypts without checking the certificate) [env PARLANCE_STORE_SSLMODE]"
    ),
    Flag.withFallbackConfig(
      Config.Literals(["disable", "prefer", "require", "verify-ca", "verify-full"] as const, "PARLANCE_STORE_SSLMODE")
    ),
    Flag.optional
  ),
  storeSslRootCert: text(
    "store-sslrootcert",
    "With a PostgreSQL store: PEM file of the CA for verify-ca / verify-full"
  ),
  heartbeatInterval: integer(
    "heartbeat-interval",
    5_000,
    "Milliseconds between this replica's heartbeats on its in-progress responses (and sweeps for dead replicas' ones)"
  ),
  staleAfter: integer(
    "stale-after",
    15_000,
    "Milliseconds after which an in-progress response whose owner stopped its heartbeat is marked failed"
  ),
  drainTimeout: integer(
    "drain-timeout",
    10_000,
    "On shutdown, milliseconds in-flight streams may run before they are stopped (each still ends with its terminal event)"
  ),
  headersTimeout: integer(
    "headers-timeout",
    30,
    "Seconds a client may take to send a request's headers before its socket is closed (408; 0 = no limit)"
  ),
  requestTimeout: integer(
    "request-timeout",
    300,
    "Seconds a client may take to send a whole request, body included, not the streamed response (408 past it; 0 = no limit)"
  ),
  bodyLimit: integer("body-limit", 33_554_432, "Largest request body in bytes, also after decompression (413 past it)"),
  fileUrls: choice(
    "file-urls",
    ["off", "public", "any"] as const,
    "public",
    "Which input_file file_urls the server fetches: off (none), public (hosts that resolve to public addresses only: no loopback, private, link-local or metadata addresses), any (also private ones, for a trusted network)"
  ),
  fileUrlMaxBytes: integer(
    "file-url-max-bytes",
    20_971_520,
    "Largest file fetched from an input_file file_url, in bytes (400 past it)"
  ),
  fileUrlTimeout: integer(
    "file-url-timeout",
    10_000,
    "Milliseconds a file_url may take to arrive in full, redirects included (400 past it)"
  ),
  maxJsonDepth: integer(
    "max-json-depth",
    128,
    "Deepest nesting of arrays/objects a request body may have (400 past it)"
  ),
  recordDir: text("record-dir", "Record every request's upstream chunks and emitted events here"),
  cors: text("cors", "Allowed CORS origins, comma-separated, or *"),
  maxOutputTokens: integer(
    "max-output-tokens",
    0,
    "Cap on generated tokens for requests that set none (0 = no cap, like llama-server's --n-predict -1)"
  ),
  strictTools: flag("strict-tools", "Refuse built-in tools (web_search, mcp…) with a 400 instead of skipping them"),
  modelName: text("model-name", "The model id the embedded engine reports (default: the file name)"),
  secret: text(
    "secret",
    "Key that seals encrypted_content (reasoning, compaction summaries) returned to clients; give every replica the same (default: generated once into --data-dir)"
  ),
  secretFile: text("secret-file", "File holding the --secret"),
  contextWindow: integer(
    "context-window",
    0,
    "Proxy mode: the upstream model's context window, for /v1/models, when the upstream does not report it (0 = unknown)"
  ),
  dialect: choice(
    "dialect",
    ["openai", "openresponses"] as const,
    "openai",
    "Event names of /v1/responses streams: OpenAI's (response.reasoning_text.*) or the Open Responses spec's (response.reasoning.*, then data: [DONE]); a request sending an OpenResponses-Version header gets the spec's"
  ),
  upstreamPhase: flag(
    "upstream-phase",
    "Proxy mode: send assistant messages' phase (commentary / final_answer) to the upstream, for one that reads it"
  )
}

export type ServeConfig = {
  readonly [K in keyof typeof serveOptions]: (typeof serveOptions)[K] extends Flag.Flag<infer A> ? A : never
}

export const optional = <A>(value: Option.Option<A>): A | undefined => Option.getOrUndefined(value)
