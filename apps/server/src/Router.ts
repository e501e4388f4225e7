/**
 * `Router`: many models behind one server (docs/architecture.md#many-models). It is itself a ChatBackend: `open`
 * picks the entry the request's `model` names and opens its backends on the one contract (`open → Source`):
 * - fallbacks: a backend that fails before its first batch (refused, 5xx, 429, timeout, queue full, a model that
 *   cannot load) hands the request to the next; after the first batch a failure is the stream's own
 *   (`response.failed`), never a silent retry;
 * - weights: the first backend is drawn at random by weight (an A/B split), the others stay its fallbacks;
 * - the backend that served rides on the Source (`servedBy`) for the response header, the stored metadata, the
 *   metrics (`render`) and the trace (a span per attempt).
 * An unknown model is a 404 `model_not_found` naming what exists.
 * @since 0.2.0
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import { ChatBackend as Backends, Source as Sources } from "@parlance/schema"
import * as Effect from "effect/Effect"
import type * as Backend from "./Backend.js"

type BackendError = ChatBackend.BackendError

/** One backend of an entry. @category models */
export interface Route {
  /** Its name in logs, /health, /metrics, traces and the `x-parlance-backend` header. */
  readonly label: string
  readonly kind: "engine" | "upstream"
  /** The model name this backend is asked for (an upstream's own name for it). */
  readonly model: string
  readonly weight?: number | undefined
  readonly backend: Backend.BackendService
  /** Engines loaded on demand: whether it is loaded now. */
  readonly loaded?: () => boolean
  /** The context window it serves, when known (for /v1/models). */
  readonly contextWindow?: number | undefined
}

/** A model clients name, and its backends in fallback order. @category models */
export interface Entry {
  readonly name: string
  readonly backends: ReadonlyArray<Route>
}

/** @category models */
export interface RouterOptions {
  readonly entries: ReadonlyArray<Entry>
  /** Entries found at request time (the GGUFs of `models_dir`), after the configured ones. */
  readonly discovered?: () => ReadonlyArray<Entry>
  /** Uniform in [0, 1), for the weighted draw. */
  readonly random?: () => number
  /** Time in ms, for time to first token. */
  readonly now?: () => number
  /** A span per backend attempt (with `--otlp-endpoint`); off, none is made. */
  readonly traced?: boolean
}

/** Why a failure before the first batch may be served by the next backend: nothing the client must fix. */
const passesOn: ReadonlySet<ChatBackend.BackendErrorReason> = new Set([
  "rate_limited",
  "overloaded",
  "unreachable",
  "timeout",
  "upstream_error",
  "internal"
])

/** Whether a failure before the first batch goes to the next backend: one of those reasons, and one is left. */
const handsOn = (error: BackendError, isLast: boolean): boolean => !isLast && passesOn.has(error.reason)

/** @category models */
export interface RouterBackend extends Backend.BackendService {
  readonly kind: "router"
  /** The model names clients may send, configured first. */
  readonly names: () => ReadonlyArray<string>
  /** Per model and per backend counters, in Prometheus' text format. */
  readonly metrics: () => string
}

/** The order backends are tried in: as written, or the weighted draw first. */
export const order = (backends: ReadonlyArray<Route>, random: () => number): ReadonlyArray<Route> => {
  const total = backends.reduce((sum, b) => sum + (b.weight ?? 0), 0)
  if (total <= 0) return backends
  let at = random() * total
  const chosen = backends.find((b) => (at -= b.weight ?? 0) < 0) ?? backends[backends.length - 1]!
  return [chosen, ...backends.filter((b) => b !== chosen)]
}

interface Counts {
  served: number
  failed: number
  passedOn: number
  inputTokens: number
  outputTokens: number
  ttftSum: number
}

/** The opened source again, its first batch first, named for the backend that serves it and counting its tokens. */
const served = (opened: Sources.Opened, route: Route, c: Counts): Sources.Source => {
  let first: Sources.Batch | undefined = opened.first
  const count = (batch: Sources.Batch): Sources.Batch => {
    if (batch._tag === "Chunks") {
      const usage = batch.chunks[batch.chunks.length - 1]?.usage
      if (usage != null) {
        c.inputTokens += usage.prompt_tokens
        c.outputTokens += usage.completion_tokens
      }
    }
    return batch
  }
  return {
    servedBy: route.label,
    next: () => {
      if (first === undefined) return opened.source.next().then(count)
      const batch = first
      first = undefined
      return Promise.resolve(count(batch))
    },
    release: () => opened.source.release()
  }
}

const labelValue = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

/** @category constructors */
export const make = (options: RouterOptions): RouterBackend => {
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const traced = options.traced === true
  const configured = new Map(options.entries.map((e) => [e.name, e]))
  const all = (): ReadonlyArray<Entry> => {
    const found = (options.discovered?.() ?? []).filter((e) => !configured.has(e.name))
    return [...options.entries, ...found]
  }
  const find = (name: string): Entry | undefined =>
    configured.get(name) ?? options.discovered?.().find((e) => e.name === name)

  const counts = new Map<string, Counts>()
  const countsOf = (model: string, label: string): Counts => {
    const key = `model="${labelValue(model)}",backend="${labelValue(label)}"`
    let c = counts.get(key)
    if (c === undefined) {
      c = { served: 0, failed: 0, passedOn: 0, inputTokens: 0, outputTokens: 0, ttftSum: 0 }
      counts.set(key, c)
    }
    return c
  }

  const notFound = (name: string) => {
    const names = all().map((e) => e.name)
    return new Backends.BackendError({
      reason: "not_found",
      message: `The model '${name}' does not exist. Models served here: ${names.join(", ") || "(none)"}.`,
      param: "model",
      code: "model_not_found"
    })
  }

  /** One attempt: the backend opened and its first batch read, in its own span. */
  const attempt = (
    entry: Entry,
    route: Route,
    request: ChatCompletions.ChatCompletionRequest,
    openOptions: ChatBackend.OpenOptions | undefined,
    isLast: boolean
  ): Effect.Effect<Sources.Opened, BackendError> => {
    const startedAt = now()
    const c = countsOf(entry.name, route.label)
    const opened = Sources.openFirst(route.backend.open({ ...request, model: route.model }, openOptions)).pipe(
      Effect.tap(() =>
        Effect.sync(() => {
          c.served++
          c.ttftSum += (now() - startedAt) / 1000
        })
      ),
      Effect.tapError((error) =>
        Effect.suspend(() => {
          const next = handsOn(error, isLast)
          if (next) c.passedOn++
          else c.failed++
          return Effect.andThen(
            traced
              ? Effect.annotateCurrentSpan({ "parlance.fallback": next, "error.type": error.code ?? error.reason })
              : Effect.void,
            next
              ? Effect.logWarning(
                  `model ${entry.name}: backend ${route.label} failed before its first byte (${error.reason}: ${error.message}); trying the next`
                )
              : Effect.void
          )
        })
      )
    )
    return traced
      ? Effect.withSpan(opened, "parlance.backend.attempt", {
          attributes: {
            "parlance.backend": route.label,
            "parlance.backend.kind": route.kind,
            "gen_ai.request.model": route.model
          }
        })
      : opened
  }

  const routed = (
    request: ChatCompletions.ChatCompletionRequest,
    openOptions?: ChatBackend.OpenOptions
  ): Effect.Effect<Sources.Source, BackendError> =>
    Effect.suspend(() => {
      const entry = find(request.model)
      if (entry === undefined) return Effect.fail(notFound(request.model))
      const tried = order(entry.backends, random)
      const go = (i: number): Effect.Effect<Sources.Source, BackendError> => {
        const route = tried[i]!
        const isLast = i === tried.length - 1
        return attempt(entry, route, request, openOptions, isLast).pipe(
          Effect.map((opened) => served(opened, route, countsOf(entry.name, route.label))),
          Effect.catch((error) => (handsOn(error, isLast) ? go(i + 1) : Effect.fail(error)))
        )
      }
      return go(0)
    })

  /**
   * Counted by the entry's backends in their listed order: the first that can count this request exactly (an
   * upstream without a tokenizer endpoint says `not_supported`, and the next is asked).
   */
  const countPromptTokens = (request: ChatCompletions.ChatCompletionRequest): Effect.Effect<number, BackendError> =>
    Effect.suspend(() => {
      const entry = find(request.model)
      if (entry === undefined) return Effect.fail(notFound(request.model))
      const counting = entry.backends.filter((b) => b.backend.countPromptTokens !== undefined)
      const go = (i: number): Effect.Effect<number, BackendError> => {
        const route = counting[i]
        if (route === undefined)
          return Effect.fail(
            new Backends.BackendError({
              reason: "not_supported",
              message: `No backend of model '${entry.name}' can count prompt tokens exactly.`,
              param: null,
              code: "not_supported"
            })
          )
        return route.backend.countPromptTokens!({ ...request, model: route.model }).pipe(
          Effect.catch((error) => (error.reason === "not_supported" ? go(i + 1) : Effect.fail(error)))
        )
      }
      return go(0)
    })

  return {
    kind: "router",
    countPromptTokens,
    names: () => all().map((e) => e.name),
    models: Effect.sync(() =>
      all().map((e): ChatBackend.ModelInfo => {
        const loaded = e.backends.some((b) => b.loaded?.() ?? false)
        const engines = e.backends.every((b) => b.kind === "engine")
        const window = e.backends.find((b) => b.contextWindow !== undefined)?.contextWindow
        return {
          id: e.name,
          owned_by: "parlance",
          created: 0,
          ...(engines ? { loaded } : {}),
          ...(window !== undefined ? { context_window: window } : {})
        }
      })
    ),
    open: routed,
    health: Effect.suspend(() =>
      Effect.map(
        Effect.forEach(all(), (e) =>
          Effect.map(
            Effect.forEach(e.backends, (b) =>
              Effect.map(
                Effect.all({
                  load: b.backend.load ?? Effect.succeed(undefined),
                  health: b.backend.health ?? Effect.succeed(undefined)
                }),
                ({ load, health }) => ({
                  backend: b.label,
                  kind: b.kind,
                  model: b.model,
                  ...(b.loaded !== undefined ? { loaded: b.loaded() } : {}),
                  ...(load !== undefined ? { load } : {}),
                  ...(health !== undefined ? { [b.kind]: health } : {})
                })
              )
            ),
            (backends) => ({ model: e.name, backends })
          )
        ),
        (models) => ({ models })
      )
    ),
    metrics: () => {
      const lines: Array<string> = []
      const family = (name: string, type: string, help: string, value: (c: Counts) => number) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
        for (const [labels, c] of counts) lines.push(`${name}{${labels}} ${value(c)}`)
      }
      family("parlance_backend_served_total", "counter", "Requests a backend served, by model.", (c) => c.served)
      family(
        "parlance_backend_fallbacks_total",
        "counter",
        "Requests a backend failed before its first byte and handed to the next.",
        (c) => c.passedOn
      )
      family(
        "parlance_backend_failures_total",
        "counter",
        "Requests a backend failed before its first byte with no backend left to try.",
        (c) => c.failed
      )
      family(
        "parlance_backend_tokens_input_total",
        "counter",
        "Input tokens by model and backend.",
        (c) => c.inputTokens
      )
      family(
        "parlance_backend_tokens_output_total",
        "counter",
        "Output tokens by model and backend.",
        (c) => c.outputTokens
      )
      family(
        "parlance_backend_time_to_first_token_seconds_sum",
        "counter",
        "Time from opening a backend to its first batch, summed (divide by served).",
        (c) => c.ttftSum
      )
      lines.push(
        "# HELP parlance_model_loaded Whether an embedded backend is loaded.",
        "# TYPE parlance_model_loaded gauge"
      )
      for (const e of all())
        for (const b of e.backends)
          if (b.loaded !== undefined)
            lines.push(
              `parlance_model_loaded{model="${labelValue(e.name)}",backend="${labelValue(b.label)}"} ${b.loaded() ? 1 : 0}`
            )
      return `${lines.join("\n")}\n`
    }
  }
}
