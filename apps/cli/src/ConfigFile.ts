/**
 * `parlance serve --config parlance.yaml`: many models behind one server (README "Many models"). The file is YAML
 * or JSON (JSON is YAML), decoded with Effect Schema — an unknown key is an error, never ignored — and then checked
 * against the world (files exist, URLs parse, names are unique, keys come from the environment). Every error names
 * its line; `parse` returns all of them, so nothing half-starts. The file's JSON Schema (`parlance.schema.json`, for
 * editors) is generated from the same Schema (`jsonSchema`), and a test keeps the committed file equal to it.
 * @since 0.2.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { existsSync, statSync } from "node:fs"
import { basename, dirname, isAbsolute, resolve } from "node:path"
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml"

const whole = (min: number) => Schema.Int.check(Schema.isGreaterThanOrEqualTo(min))
const weight = Schema.Finite.check(Schema.isGreaterThan(0)).annotate({
  description: "A share of the traffic: the entry's backends all carry a weight (an A/B split) or none (fallbacks)."
})
const label = Schema.String.check(Schema.isNonEmpty()).annotate({
  description: "The backend's name in logs, /health, /metrics, traces and the x-parlance-backend header."
})

/** @category schemas */
export const EngineBackend = Schema.Struct({
  engine: Schema.String.check(Schema.isNonEmpty()).annotate({
    description: "A GGUF file (relative to this file) or a node-llama-cpp URI (hf:owner/repo/file.gguf)"
  }),
  name: Schema.optionalKey(label),
  ctx_size: Schema.optionalKey(whole(1).annotate({ description: "Context size per sequence (--ctx-size)" })),
  parallel: Schema.optionalKey(whole(1).annotate({ description: "Sequences generated at once (--parallel)" })),
  queue: Schema.optionalKey(whole(0).annotate({ description: "Requests that may wait for a sequence (--queue)" })),
  threads: Schema.optionalKey(whole(0).annotate({ description: "CPU threads, 0 = cores less one (--threads)" })),
  gpu: Schema.optionalKey(Schema.Literals(["auto", "cuda", "vulkan", "metal", "cpu"])),
  weight: Schema.optionalKey(weight)
}).annotate({ title: "Embedded engine backend" })

/** @category schemas */
export const UpstreamBackend = Schema.Struct({
  upstream: Schema.String.annotate({ description: "Base URL of a Chat Completions server (http://host:port/v1)" }),
  name: Schema.optionalKey(label),
  model: Schema.optionalKey(
    Schema.String.check(Schema.isNonEmpty()).annotate({
      description: "The model sent upstream (default: the entry's name)"
    })
  ),
  api_key_env: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/)).annotate({
      description: "The environment variable holding the upstream's API key (never the key itself)"
    })
  ),
  timeout: Schema.optionalKey(
    whole(1).annotate({
      description: "Milliseconds to wait for the first byte before falling back (--upstream-timeout)"
    })
  ),
  idle_timeout: Schema.optionalKey(
    whole(1).annotate({ description: "Seconds a stream may stay silent before it fails (--upstream-idle-timeout)" })
  ),
  context_window: Schema.optionalKey(whole(1).annotate({ description: "The model's context, for /v1/models" })),
  weight: Schema.optionalKey(weight)
}).annotate({ title: "Upstream backend" })

/** The top level, over a backend schema: the full union for types and the JSON Schema, `Unknown` for the first pass. */
const fileOf = <B extends Schema.Top>(backend: B) =>
  Schema.Struct({
    $schema: Schema.optionalKey(Schema.String),
    models: Schema.optionalKey(
      Schema.Array(
        Schema.Struct({
          name: Schema.String.check(Schema.isNonEmpty()).annotate({
            description: "The id clients send as `model`; /v1/models lists it"
          }),
          backends: Schema.Array(backend)
            .check(Schema.isMinLength(1))
            .annotate({ description: "Tried in order before the first byte; with weights, a random split by weight" })
        })
      )
    ),
    models_dir: Schema.optionalKey(
      Schema.String.annotate({ description: "Every GGUF in this folder is served embedded under its file name" })
    ),
    models_max: Schema.optionalKey(
      whole(1).annotate({ description: "At most this many embedded models loaded; least recently used unloaded" })
    ),
    load_timeout: Schema.optionalKey(
      whole(1).annotate({ description: "Milliseconds a request waits for its model to load (503 past it)" })
    ),
    idle_unload: Schema.optionalKey(
      whole(1).annotate({
        description:
          "Milliseconds an embedded model stays loaded with no request; then it is unloaded (default: until its room is needed)"
      })
    )
  }).annotate({ title: "Parlance models configuration" })

/** @category schemas */
export const ConfigFile = fileOf(Schema.Union([EngineBackend, UpstreamBackend]))
/** @category models */
export type ConfigFile = typeof ConfigFile.Type

/** The file's JSON Schema, as published in `parlance.schema.json`. @category utils */
export const jsonSchema = (): object => {
  const document = Schema.toJsonSchemaDocument(ConfigFile, { onExcessProperty: "error" })
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://github.com/parlance-dev/parlance/blob/main/apps/cli/parlance.schema.json",
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** @category models */
export interface EngineSpec {
  readonly kind: "engine"
  readonly label: string
  /** An absolute path or a URI. */
  readonly model: string
  readonly ctxSize?: number | undefined
  readonly parallel?: number | undefined
  readonly queue?: number | undefined
  readonly threads?: number | undefined
  readonly gpu?: "auto" | "cuda" | "vulkan" | "metal" | "cpu" | undefined
  readonly weight?: number | undefined
}

/** @category models */
export interface UpstreamSpec {
  readonly kind: "upstream"
  readonly label: string
  readonly baseUrl: string
  readonly model: string
  readonly apiKey?: string | undefined
  readonly timeoutMs?: number | undefined
  readonly idleTimeoutMs?: number | undefined
  readonly contextWindow?: number | undefined
  readonly weight?: number | undefined
}

/** @category models */
export type BackendSpec = EngineSpec | UpstreamSpec

/** @category models */
export interface ModelSpec {
  readonly name: string
  readonly backends: ReadonlyArray<BackendSpec>
}

/** The file, checked and resolved: paths absolute, keys read from the environment. @category models */
export interface ResolvedConfig {
  readonly models: ReadonlyArray<ModelSpec>
  readonly modelsDir: string | undefined
  readonly modelsMax: number | undefined
  readonly loadTimeoutMs: number | undefined
  readonly idleUnloadMs: number | undefined
}

/** One thing wrong with the file, at its line (1-based; 0 when it concerns the whole file). @category errors */
export interface ConfigProblem {
  readonly line: number
  readonly message: string
}

/** Why the file cannot be used: every problem, each with its line. @category errors */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ReadonlyArray<ConfigProblem>
  ) {
    super(problems.map((p) => `${file}${p.line > 0 ? `:${p.line}` : ""}: ${p.message}`).join("\n"))
    this.name = "ConfigError"
  }
}

type Path = ReadonlyArray<PropertyKey>

/** The node at `path` — for a key's own problem (unknown, written in the file), the key itself. */
const nodeAt = (root: Node | null, path: Path, keyItself: boolean): Node | null => {
  let node: Node | null = root
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment)
      if (pair === undefined) return node
      const last = i === path.length - 1
      node = last && keyItself ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node))
    } else if (isSeq(node) && typeof segment === "number") {
      node = (node.items[segment] as Node | undefined) ?? node
    } else return node
  }
  return node
}

const decodeShape = Schema.decodeUnknownResult(fileOf(Schema.Unknown), { onExcessProperty: "error", errors: "all" })
const decodeEngine = Schema.decodeUnknownResult(EngineBackend, { onExcessProperty: "error", errors: "all" })
const decodeUpstream = Schema.decodeUnknownResult(UpstreamBackend, { onExcessProperty: "error", errors: "all" })
const format = SchemaIssue.makeFormatterStandardSchemaV1()
const secretKeys = /^(api[_-]?key|key|token|secret|password|authorization)$/i

type Top = typeof decodeShape extends (u: unknown) => Result.Result<infer A, infer _> ? A : never

/** The parts of a file that failed the first pass that can still be checked: the entries with a name and backends. */
const looseTop = (data: unknown): Top => {
  const record = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {}
  const models = Array.isArray(record.models) ? record.models : []
  return {
    models: models.map((m) => {
      const entry = typeof m === "object" && m !== null ? (m as Record<string, unknown>) : {}
      return {
        name: typeof entry.name === "string" ? entry.name : "",
        backends: Array.isArray(entry.backends) ? entry.backends : []
      }
    }),
    ...(typeof record.models_dir === "string" ? { models_dir: record.models_dir } : {})
  }
}

const isUri = (model: string) => /^(hf:|https?:\/\/)/.test(model)

/**
 * Reads the file's text: the resolved config, or a ConfigError naming each problem's line. `env` is where
 * `api_key_env` variables are read; relative paths resolve from the file's folder.
 * @category parsing
 */
export const parse = (
  text: string,
  file: string,
  env: Record<string, string | undefined> = process.env
): Result.Result<ResolvedConfig, ConfigError> => {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  const lineOf = (node: Node | null | undefined): number =>
    node?.range === undefined || node.range === null ? 0 : lineCounter.linePos(node.range[0]).line
  const problems: Array<ConfigProblem> = []
  const at = (path: Path, message: string, keyItself = false) =>
    problems.push({ line: lineOf(nodeAt(document.contents as Node | null, path, keyItself)), message })
  const fail = () =>
    Result.fail(
      new ConfigError(
        file,
        problems.sort((a, b) => a.line - b.line)
      )
    )

  for (const error of document.errors) {
    problems.push({
      line: error.linePos?.[0]?.line ?? 0,
      message: `YAML: ${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`
    })
  }
  if (problems.length > 0) return fail()
  const data: unknown = document.toJS() ?? {}
  const where = (path: Path) => path.map(String).join(".")
  const report = (prefix: Path, failure: Schema.SchemaError) => {
    for (const issue of format(failure.issue).issues) {
      const path = [...prefix, ...((issue.path ?? []) as Path)]
      const excess = issue.message === "Expected no excess property"
      const key = String(path[path.length - 1])
      if (excess && secretKeys.test(key))
        at(
          path,
          `'${where(path)}': a key must not be written in the file; name its environment variable with api_key_env`,
          true
        )
      else if (excess) at(path, `'${where(path)}' is not a known key`, true)
      else at(path, `'${where(path)}': ${issue.message}`)
    }
  }

  // A problem at the top does not hide those in the entries: they are checked all the same, from the raw data.
  const shape = decodeShape(data)
  if (Result.isFailure(shape)) report([], shape.failure)
  const top = Result.isSuccess(shape) ? shape.success : looseTop(data)
  const base = dirname(resolve(file))
  const pathOf = (p: string) => (isAbsolute(p) ? p : resolve(base, p))
  const names = new Set<string>()
  const models: Array<ModelSpec> = []
  for (const [m, entry] of (top.models ?? []).entries()) {
    if (entry.name !== "" && names.has(entry.name))
      at(["models", m, "name"], `the model name '${entry.name}' is used twice`)
    names.add(entry.name)
    const backends: Array<BackendSpec> = []
    for (const [b, raw] of entry.backends.entries()) {
      const path = ["models", m, "backends", b]
      const record = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {}
      if ("engine" in record === "upstream" in record) {
        at(path, `'${where(path)}': a backend names either 'engine' (a GGUF) or 'upstream' (a URL)`)
        continue
      }
      if ("engine" in record) {
        const decoded = decodeEngine(raw)
        if (Result.isFailure(decoded)) {
          report(path, decoded.failure)
          continue
        }
        const e = decoded.success
        const model = isUri(e.engine) ? e.engine : pathOf(e.engine)
        if (!isUri(e.engine) && !existsSync(model)) at([...path, "engine"], `the model file ${model} does not exist`)
        backends.push({
          kind: "engine",
          label: e.name ?? `engine:${basename(e.engine)}`,
          model,
          ctxSize: e.ctx_size,
          parallel: e.parallel,
          queue: e.queue,
          threads: e.threads,
          gpu: e.gpu,
          weight: e.weight
        })
        continue
      }
      const decoded = decodeUpstream(raw)
      if (Result.isFailure(decoded)) {
        report(path, decoded.failure)
        continue
      }
      const u = decoded.success
      let url: URL | undefined
      try {
        url = new URL(u.upstream)
      } catch {}
      if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
        at([...path, "upstream"], `'${u.upstream}' is not an http(s) URL`)
        continue
      }
      const apiKey = u.api_key_env === undefined ? undefined : env[u.api_key_env]
      if (u.api_key_env !== undefined && (apiKey === undefined || apiKey === ""))
        at([...path, "api_key_env"], `the environment variable ${u.api_key_env} is not set`)
      backends.push({
        kind: "upstream",
        label: u.name ?? `upstream:${url.host}`,
        baseUrl: u.upstream,
        model: u.model ?? entry.name,
        apiKey,
        timeoutMs: u.timeout,
        idleTimeoutMs: u.idle_timeout === undefined ? undefined : u.idle_timeout * 1000,
        contextWindow: u.context_window,
        weight: u.weight
      })
    }
    const weighted = backends.filter((b) => b.weight !== undefined).length
    if (weighted > 0 && weighted < entry.backends.length)
      at(["models", m, "backends"], `'${entry.name}': give every backend a weight (an A/B split) or none (fallbacks)`)
    // Two backends of one entry with one label would be told apart by position.
    const seen = new Map<string, number>()
    models.push({
      name: entry.name,
      backends: backends.map((b) => {
        const n = (seen.get(b.label) ?? 0) + 1
        seen.set(b.label, n)
        return n === 1 ? b : { ...b, label: `${b.label}#${n}` }
      })
    })
  }
  const dir = typeof top.models_dir === "string" ? pathOf(top.models_dir) : undefined
  if (dir !== undefined && !(existsSync(dir) && statSync(dir).isDirectory()))
    at(["models_dir"], `the models folder ${dir} does not exist`)
  if (models.length === 0 && dir === undefined) at([], "the file names no models: give 'models', 'models_dir', or both")
  if (problems.length > 0) return fail()
  return Result.succeed({
    models,
    modelsDir: dir,
    modelsMax: top.models_max,
    loadTimeoutMs: top.load_timeout,
    idleUnloadMs: top.idle_unload
  })
}
