/**
 * `parlance check`'s report: the table for people, the JSON for machines. Pure.
 */
import type { RuleCount, ScenarioResult } from "./checkJudge.js"

/** @category models */
export interface Report {
  readonly baseUrl: string
  readonly model: string
  /** Whether warnings counted as violations (`--strict`). */
  readonly strict: boolean
  readonly pass: boolean
  readonly passed: number
  readonly failed: number
  readonly scenarios: ReadonlyArray<ScenarioResult>
  /** Every rule that fired over all scenarios, most severe first. */
  readonly rules: ReadonlyArray<
    Omit<RuleCount, "first"> & { readonly first: RuleCount["first"] & { readonly scenario: string } }
  >
}

const severityOrder = { violation: 0, warning: 1, note: 2 } as const

const mergeRules = (scenarios: ReadonlyArray<ScenarioResult>): Report["rules"] => {
  const byId = new Map<string, Report["rules"][number]>()
  for (const s of scenarios) {
    for (const r of s.rules) {
      const seen = byId.get(r.id)
      byId.set(
        r.id,
        seen === undefined
          ? { ...r, first: { ...r.first, scenario: s.name } }
          : { ...seen, count: seen.count + r.count }
      )
    }
  }
  return [...byId.values()].sort(
    (a, b) => severityOrder[a.severity] - severityOrder[b.severity] || a.id.localeCompare(b.id)
  )
}

export const makeReport = (
  baseUrl: string,
  model: string,
  scenarios: ReadonlyArray<ScenarioResult>,
  strict = false
): Report => {
  const passed = scenarios.filter((s) => s.pass).length
  return {
    baseUrl,
    model,
    strict,
    pass: passed === scenarios.length,
    passed,
    failed: scenarios.length - passed,
    scenarios,
    rules: mergeRules(scenarios)
  }
}

const where = (capture: string): string => (capture === "" ? "" : ` (${capture} stream)`)

/** The first violation, or the failure reason. */
export const detail = (s: ScenarioResult): string => {
  const v = s.firstViolation
  if (v !== undefined) {
    const more = s.violations > 1 ? ` (+${s.violations - 1} more)` : ""
    return `event #${v.index} rule ${v.rule}: ${v.message} [${v.id}]${where(v.capture)}${more}`
  }
  return s.reason ?? ""
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

export const table = (report: Report, ansi: boolean): string => {
  const paint = (code: number, text: string) => (ansi ? `\x1b[${code}m${text}\x1b[0m` : text)
  const width = Math.max(8, ...report.scenarios.map((s) => s.name.length)) + 2
  const mode = report.strict ? "  --strict: warnings count as violations" : ""
  const lines = [
    `parlance check ${report.baseUrl}  (model ${report.model})${mode}`,
    "",
    `${"scenario".padEnd(width)}${"result".padEnd(8)}${"grammar".padEnd(16)}first violation / failure`
  ]
  for (const s of report.scenarios) {
    const result = s.pass ? paint(32, "pass".padEnd(8)) : paint(31, "FAIL".padEnd(8))
    // The grammar column separates "this server breaks the event grammar" from "this model did not do it".
    const grammar =
      s.violations > 0
        ? paint(31, plural(s.violations, "violation").padEnd(16))
        : s.warnings > 0
          ? paint(33, `ok, ${plural(s.warnings, "warning")}`.padEnd(16))
          : paint(32, "ok".padEnd(16))
    lines.push(`${s.name.padEnd(width)}${result}${grammar}${detail(s)}`)
    const w = s.firstWarning
    if (w !== undefined)
      lines.push(
        `${" ".repeat(width + 24)}${paint(33, `warning: event #${w.index}: ${w.message} [${w.id}]${where(w.capture)}`)}`
      )
    for (const note of s.notes) lines.push(`${" ".repeat(width + 24)}${paint(2, `note: ${note}`)}`)
  }
  const clean = report.scenarios.filter((s) => s.violations === 0).length
  const warned = report.rules.filter((r) => r.severity === "warning").reduce((n, r) => n + r.count, 0)
  const summary = `${report.passed}/${report.scenarios.length} scenarios passed; ${clean}/${report.scenarios.length} with every stream grammar-clean`
  lines.push("", warned > 0 ? `${summary}; ${plural(warned, "warning")} (--strict fails on them)` : summary)
  if (report.rules.length > 0) {
    lines.push("", "rules that fired:")
    const idWidth = Math.max(...report.rules.map((r) => r.id.length)) + 2
    for (const r of report.rules) {
      const colour = r.severity === "violation" ? 31 : r.severity === "warning" ? 33 : 2
      lines.push(
        `  ${paint(colour, r.severity.padEnd(10))}${r.id.padEnd(idWidth)}${`${r.count}×`.padEnd(6)}first: ${r.first.scenario} event #${r.first.index}: ${r.first.message}`
      )
    }
  }
  return `${lines.join("\n")}\n`
}

export const json = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`
