/**
 * `parlance check <base-url>`: a conformance report for any server that claims `/v1/responses` (Parlance,
 * llama-server, vLLM, Ollama…). Each stream is judged by the grammar (docs/architecture.md#event-grammar) from its raw
 * SSE — violations fail a scenario, warnings only with `--strict`, notes never — and every scenario's
 * behaviour is checked. Exit status: 0 all passed, 1 a scenario failed, 2 the server could not be reached.
 * @since 0.1.0
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { apiKeyOption, modelOption, resolveModel } from "./Chat.js"
import { type Capture, judge, type ScenarioResult } from "./internal/checkJudge.js"
import * as Report from "./internal/checkReport.js"
import { scenarios } from "./internal/checkScenarios.js"
import { type Endpoint, normalizeBaseUrl, postResponses } from "./internal/responsesClient.js"

const checkOptions = {
  baseUrl: Argument.String("base-url").pipe(
    Argument.withDescription("The server's base URL, e.g. http://127.0.0.1:8080/v1")
  ),
  model: modelOption,
  apiKey: apiKeyOption,
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print a machine-readable JSON report instead of the table"),
    Flag.withDefault(false)
  ),
  strict: Flag.Boolean("strict").pipe(
    Flag.withDescription(
      "Count warnings (departures real OpenAI output also shows, e.g. no completed_at) as violations"
    ),
    Flag.withDefault(false)
  ),
  save: Flag.Directory("save").pipe(
    Flag.withDescription("Write each scenario's raw SSE capture to DIR/<scenario>.sse"),
    Flag.optional
  ),
  only: Flag.String("only").pipe(
    Flag.withDescription(`Run only these scenarios, comma-separated: ${scenarios.map((s) => s.name).join(", ")}`),
    Flag.optional
  ),
  timeout: Flag.Int("timeout").pipe(
    Flag.withDescription("Seconds allowed per request (default 120)"),
    Flag.withDefault(120)
  ),
  maxOutputTokens: Flag.Int("max-output-tokens").pipe(
    Flag.withDescription(
      "max_output_tokens sent with every scenario that sets none, so a slow model stays bounded (default 1024; 0 = none)"
    ),
    Flag.withDefault(1024)
  )
}

/** The cap for scenarios that set none: a model that never stops must not hold the check for minutes. */
const capped = (body: unknown, cap: number): unknown =>
  cap > 0 && typeof body === "object" && body !== null && !("max_output_tokens" in body)
    ? { ...body, max_output_tokens: cap }
    : body

/** `<scenario>.sse` for the scenario's main stream, `<scenario>.<label>.sse` for the others. */
const save = (dir: string, scenario: string, captures: ReadonlyArray<Capture>): void => {
  mkdirSync(dir, { recursive: true })
  for (const capture of captures) {
    if (capture.outcome._tag !== "Http") continue
    const ext = capture.outcome.contentType.includes("text/event-stream") ? "sse" : "json"
    writeFileSync(
      join(dir, `${scenario}${capture.label === "" ? "" : `.${capture.label}`}.${ext}`),
      capture.outcome.text
    )
  }
}

const selected = (only: Option.Option<string>) => {
  const names = Option.match(only, {
    onNone: () => undefined,
    onSome: (s) =>
      s
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "")
  })
  if (names === undefined) return { list: scenarios, unknown: [] as Array<string> }
  return {
    list: scenarios.filter((s) => names.includes(s.name)),
    unknown: names.filter((n) => !scenarios.some((s) => s.name === n))
  }
}

/** @category commands */
export const check = Command.make("check", checkOptions, (options) =>
  Effect.promise(async () => {
    const { list, unknown } = selected(options.only)
    if (unknown.length > 0) {
      process.stderr.write(
        `error: unknown scenario(s) ${unknown.join(", ")}; known: ${scenarios.map((s) => s.name).join(", ")}\n`
      )
      process.exitCode = 2
      return
    }
    const endpoint: Endpoint = {
      baseUrl: normalizeBaseUrl(options.baseUrl),
      apiKey: Option.getOrUndefined(options.apiKey),
      timeoutMs: options.timeout * 1000
    }
    const model = await resolveModel(endpoint, options.model)
    const post = (body: unknown) => postResponses(endpoint, capped(body, options.maxOutputTokens))
    const results: Array<ScenarioResult> = []
    for (const scenario of list) {
      const verdict = await scenario.run(post, model)
      const firstOutcome = verdict.captures[0]?.outcome
      if (results.length === 0 && firstOutcome?._tag === "NetworkError") {
        process.stderr.write(`error: ${firstOutcome.message}\n`)
        process.exitCode = 2
        return
      }
      Option.map(options.save, (dir) => save(dir, scenario.name, verdict.captures))
      const result = judge(scenario.name, scenario.description, verdict, options.strict)
      results.push(result)
      // Progress on stderr, so that stdout stays the report (and `--json` stays parseable).
      process.stderr.write(`${scenario.name}: ${result.pass ? "pass" : "FAIL"}\n`)
    }
    const report = Report.makeReport(endpoint.baseUrl, model, results, options.strict)
    process.stdout.write(options.json ? Report.json(report) : Report.table(report, process.stdout.isTTY === true))
    if (!report.pass) process.exitCode = 1
  })
).pipe(
  Command.withDescription(
    "Conformance report for any /v1/responses server: every stream checked against the event grammar"
  )
)
