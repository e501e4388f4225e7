/**
 * `parlance check`'s judging, pure: a raw HTTP outcome → the events it carried, their grammar findings
 * (`checkStream` with the SSE `event:` names), the final Response; and the result of a scenario.
 */
import { ResponseEvents } from "@parlance/schema"
import { ValidateStream } from "@parlance/translate"
import { errorLine, type Outcome } from "./responsesClient.js"
import { isObject, type Json } from "./json.js"

export const str = (v: unknown): string => (typeof v === "string" ? v : "")

/** One request a scenario made, and what came back. `label` names its `--save` file (`<scenario>[.<label>].sse`). */
export interface Capture {
  readonly label: string
  readonly request: unknown
  readonly outcome: Outcome
}

/** A streamed answer, decoded and judged. */
export interface StreamView {
  readonly events: ReadonlyArray<unknown>
  /** Every finding (violations, warnings, notes), in stream order. */
  readonly findings: ReadonlyArray<ValidateStream.Finding>
  readonly violations: ReadonlyArray<ValidateStream.Violation>
  /** The terminal event's type (`response.completed` …), when the last event is one. */
  readonly terminal: string | undefined
  /** The Response the terminal event carries. */
  readonly response: Json | undefined
}

const terminals: ReadonlySet<string> = new Set(ResponseEvents.TerminalEventTypes)

/** A failure reason for anything that is not a 200 SSE answer. */
export const httpFailure = (outcome: Outcome, expect: "sse" | "json"): string | undefined => {
  if (outcome._tag === "NetworkError") return outcome.message
  if (outcome.status !== 200) return errorLine(outcome.status, outcome.text)
  if (expect === "sse" && !outcome.contentType.includes("text/event-stream")) {
    return `expected Content-Type text/event-stream, got ${outcome.contentType || "none"}`
  }
  if (expect === "json" && !outcome.contentType.includes("application/json")) {
    return `expected Content-Type application/json, got ${outcome.contentType || "none"}`
  }
  return undefined
}

/** Decode and validate an SSE answer (`strict`: warnings count as violations); a string is the reason there is nothing to judge. */
export const viewStream = (outcome: Outcome, strict = false): StreamView | string => {
  const failure = httpFailure(outcome, "sse")
  if (failure !== undefined || outcome._tag !== "Http") return failure ?? "no answer"
  // `data: [DONE]` after the terminal event is allowed (Open Responses); it is not an event.
  const frames = outcome.frames.filter((f) => f.data !== "[DONE]")
  if (frames.length === 0) return "the SSE stream carried no events"
  const events = frames.map((f) => f.json ?? f.data)
  const findings = ValidateStream.checkStream(events, { eventNames: frames.map((f) => f.event), strict })
  const violations = findings.filter((f) => f.severity === "violation")
  const last = events.at(-1)
  const terminal = isObject(last) && terminals.has(str(last.type)) ? str(last.type) : undefined
  const response = terminal !== undefined && isObject(last) && isObject(last.response) ? last.response : undefined
  return { events, findings, violations, terminal, response }
}

/** The JSON body of a non-streamed answer; a string is why there is none. */
export const viewJson = (outcome: Outcome): Json | string => {
  const failure = httpFailure(outcome, "json")
  if (failure !== undefined || outcome._tag !== "Http") return failure ?? "no answer"
  try {
    const body: unknown = JSON.parse(outcome.text)
    return isObject(body) ? body : "the body is not a JSON object"
  } catch {
    return "the body is not JSON"
  }
}

export const outputItems = (response: Json | undefined): ReadonlyArray<Json> =>
  Array.isArray(response?.output) ? response.output.filter(isObject) : []

export const functionCalls = (response: Json | undefined): ReadonlyArray<Json> =>
  outputItems(response).filter((i) => i.type === "function_call")

/** The concatenated `output_text` of the message items. */
export const messageText = (response: Json | undefined): string =>
  outputItems(response)
    .filter((i) => i.type === "message")
    .flatMap((i) => (Array.isArray(i.content) ? i.content.filter(isObject) : []))
    .map((p) => (p.type === "output_text" ? str(p.text) : ""))
    .join("")

export const short = (text: string, max = 60): string => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

/** How a stream ended, in words: `response.completed (status completed)`. */
export const endedWith = (view: StreamView): string =>
  view.terminal === undefined ? "no terminal event" : `${view.terminal} (status ${str(view.response?.status) || "?"})`

/** Requires a completed response; the failure reason otherwise (with the server's error message). */
export const requireCompleted = (view: StreamView): string | undefined => {
  if (view.terminal === "response.completed") return undefined
  const error = isObject(view.response?.error) ? `: ${str(view.response.error.message)}` : ""
  return `expected response.completed, the stream ended with ${endedWith(view)}${error}`
}

/** A function call's arguments as a JSON object; a string is why they are not. */
export const parseArguments = (call: Json): Json | string => {
  try {
    const args: unknown = JSON.parse(str(call.arguments))
    return isObject(args) ? args : `arguments of ${str(call.name)} are not a JSON object: ${short(str(call.arguments))}`
  } catch {
    return `arguments of ${str(call.name)} are not JSON: ${short(str(call.arguments))}`
  }
}

/** What a scenario's logic concluded, beside the grammar (which is judged from its captures). */
export interface Verdict {
  readonly captures: ReadonlyArray<Capture>
  /** Why the behaviour was wrong (undefined: it was right). */
  readonly failure?: string | undefined
  readonly notes?: ReadonlyArray<string>
}

export interface FirstViolation extends ValidateStream.Violation {
  /** Which capture of the scenario (its label; "" for the main one). */
  readonly capture: string
}

/** How often one rule fired over a scenario's streams, and where first. */
export interface RuleCount {
  readonly id: ValidateStream.RuleId
  readonly severity: ValidateStream.Severity
  readonly count: number
  readonly first: FirstViolation
}

/** @category models */
export interface ScenarioResult {
  readonly name: string
  readonly description: string
  readonly pass: boolean
  /** Grammar violations over every stream of the scenario. */
  readonly violations: number
  readonly firstViolation?: FirstViolation
  /** Warnings (what real OpenAI output also does; `--strict` counts them as violations). */
  readonly warnings: number
  readonly firstWarning?: FirstViolation
  /** Every rule that fired (violations, warnings, notes), most severe first. */
  readonly rules: ReadonlyArray<RuleCount>
  readonly reason?: string
  readonly notes: ReadonlyArray<string>
  readonly requests: number
}

const severityOrder: Record<ValidateStream.Severity, number> = { violation: 0, warning: 1, note: 2 }

/** Grammar first (any violation fails; with `strict`, any warning too), then behaviour. */
export const judge = (name: string, description: string, verdict: Verdict, strict = false): ScenarioResult => {
  const all = verdict.captures.flatMap((capture) => {
    const view = viewStream(capture.outcome, strict)
    return typeof view === "string" ? [] : view.findings.map((f): FirstViolation => ({ ...f, capture: capture.label }))
  })
  const violations = all.filter((f) => f.severity === "violation")
  const warnings = all.filter((f) => f.severity === "warning")
  const counts = new Map<string, { first: FirstViolation; count: number }>()
  for (const f of all) {
    const seen = counts.get(f.id)
    if (seen === undefined) counts.set(f.id, { first: f, count: 1 })
    else seen.count++
  }
  const rules = [...counts.values()]
    .map(({ first, count }): RuleCount => ({ id: first.id, severity: first.severity, count, first }))
    .sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity] || a.id.localeCompare(b.id))
  const first = violations[0]
  const firstWarning = warnings[0]
  return {
    name,
    description,
    pass: violations.length === 0 && verdict.failure === undefined,
    violations: violations.length,
    ...(first ? { firstViolation: first } : {}),
    warnings: warnings.length,
    ...(firstWarning ? { firstWarning } : {}),
    rules,
    ...(verdict.failure !== undefined ? { reason: verdict.failure } : {}),
    notes: verdict.notes ?? [],
    requests: verdict.captures.length
  }
}
