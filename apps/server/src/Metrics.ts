/**
 * Prometheus metrics (text exposition format 0.0.4): requests, errors, tokens, time to first token, active
 * streams. Plain counters — a metrics library would add a dependency for five numbers — behind a service
 * (`Metrics`), so that a test or another exporter can replace them.
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

const ttftBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** @category models */
export interface MetricsService {
  readonly request: (route: string, status: number) => void
  readonly tokens: (input: number, output: number, cached: number) => void
  readonly ttft: (seconds: number) => void
  readonly streamOpened: () => void
  readonly streamClosed: () => void
  /** Generations in flight now. */
  readonly activeStreams: () => number
  readonly render: (load?: { readonly busy: number; readonly waiting: number; readonly size: number }) => string
}

/** @category tags */
export class Metrics extends Context.Service<Metrics, MetricsService>()("@parlance/server/Metrics") {}

/** Fresh counters. @category layers */
export const layer: Layer.Layer<Metrics> = Layer.sync(Metrics, () => new Counters())

/** The counters, in process memory. @category models */
export class Counters implements MetricsService {
  private readonly requests = new Map<string, number>()
  private readonly errors = new Map<string, number>()
  private inputTokens = 0
  private outputTokens = 0
  private cachedTokens = 0
  private readonly ttftCounts = ttftBuckets.map(() => 0)
  private ttftSum = 0
  private ttftCount = 0
  private active = 0

  readonly streamOpened = (): void => void this.active++
  readonly streamClosed = (): void => void this.active--
  readonly activeStreams = (): number => this.active

  readonly request = (route: string, status: number): void => {
    const key = `route="${route}",status="${status}"`
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1)
    if (status >= 400) {
      const e = `route="${route}",status="${status}"`
      this.errors.set(e, (this.errors.get(e) ?? 0) + 1)
    }
  }

  readonly tokens = (input: number, output: number, cached: number): void => {
    this.inputTokens += input
    this.outputTokens += output
    this.cachedTokens += cached
  }

  readonly ttft = (seconds: number): void => {
    this.ttftSum += seconds
    this.ttftCount++
    ttftBuckets.forEach((le, i) => {
      if (seconds <= le) this.ttftCounts[i]!++
    })
  }

  /** `load`: the backend's own capacity, when it has one (the engine's sequences and queue). */
  readonly render = (load?: { readonly busy: number; readonly waiting: number; readonly size: number }): string => {
    const lines: Array<string> = []
    const family = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    family("parlance_requests_total", "counter", "HTTP requests by route and status.")
    for (const [labels, n] of this.requests) lines.push(`parlance_requests_total{${labels}} ${n}`)
    family("parlance_errors_total", "counter", "HTTP responses with status >= 400.")
    for (const [labels, n] of this.errors) lines.push(`parlance_errors_total{${labels}} ${n}`)
    family("parlance_tokens_total", "counter", "Tokens processed, by kind.")
    lines.push(`parlance_tokens_total{kind="input"} ${this.inputTokens}`)
    lines.push(`parlance_tokens_total{kind="output"} ${this.outputTokens}`)
    lines.push(`parlance_tokens_total{kind="cached"} ${this.cachedTokens}`)
    family("parlance_time_to_first_token_seconds", "histogram", "From request to the first generated chunk.")
    ttftBuckets.forEach((le, i) =>
      lines.push(`parlance_time_to_first_token_seconds_bucket{le="${le}"} ${this.ttftCounts[i]}`)
    )
    lines.push(`parlance_time_to_first_token_seconds_bucket{le="+Inf"} ${this.ttftCount}`)
    lines.push(`parlance_time_to_first_token_seconds_sum ${this.ttftSum}`)
    lines.push(`parlance_time_to_first_token_seconds_count ${this.ttftCount}`)
    family("parlance_active_streams", "gauge", "Generations in flight.")
    lines.push(`parlance_active_streams ${this.active}`)
    if (load !== undefined) {
      family("parlance_backend_slots", "gauge", "Backend generation slots (engine sequences), by state.")
      lines.push(`parlance_backend_slots{state="busy"} ${load.busy}`)
      lines.push(`parlance_backend_slots{state="total"} ${load.size}`)
      family("parlance_backend_queue", "gauge", "Requests waiting for a free backend slot.")
      lines.push(`parlance_backend_queue ${load.waiting}`)
    }
    return `${lines.join("\n")}\n`
  }
}
