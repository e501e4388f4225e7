/**
 * `parlance check`'s report: the table for people, the JSON for machines. Pure.
 */
import type { ScenarioResult } from "./checkJudge.js"

/** @category models */
export interface Report {
  readonly baseUrl: string
  readonly model: string
  readonly pass: boolean
  readonly passed: number
  readonly failed: number
  readonly scenarios: ReadonlyArray<ScenarioResult>
}

export const makeReport = (baseUrl: string, model: string, scenarios: ReadonlyArray<ScenarioResult>): Report => {
  const passed = scenarios.filter((s) => s.pass).length
  return { baseUrl, model, pass: passed === scenarios.length, passed, failed: scenarios.length - passed, scenarios }
}

/** The first violation, or the failure reason. */
export const detail = (s: ScenarioResult): string => {
  const v = s.firstViolation
  if (v !== undefined) {
    const where = v.capture === "" ? "" : ` (${v.capture} stream)`
    const more = s.violations > 1 ? ` (+${s.violations - 1} more)` : ""
    return `event #${v.index} rule ${v.rule}: ${v.message}${where}${more}`
  }
  return s.reason ?? ""
}

export const table = (report: Report, ansi: boolean): string => {
  const paint = (code: number, text: string) => (ansi ? `\x1b[${code}m${text}\x1b[0m` : text)
  const width = Math.max(8, ...report.scenarios.map((s) => s.name.length)) + 2
  const lines = [`parlance check ${report.baseUrl}  (model ${report.model})`, "", `${"scenario".padEnd(width)}${"result".padEnd(8)}${"grammar".padEnd(16)}first violation / failure`]
  for (const s of report.scenarios) {
    const result = s.pass ? paint(32, "pass".padEnd(8)) : paint(31, "FAIL".padEnd(8))
    // The grammar column separates "this server breaks the event grammar" from "this model did not do it".
    const grammar = s.violations === 0 ? paint(32, "ok".padEnd(16)) : paint(31, `${s.violations} violation${s.violations === 1 ? "" : "s"}`.padEnd(16))
    lines.push(`${s.name.padEnd(width)}${result}${grammar}${detail(s)}`)
    for (const note of s.notes) lines.push(`${" ".repeat(width + 24)}${paint(2, `note: ${note}`)}`)
  }
  const clean = report.scenarios.filter((s) => s.violations === 0).length
  lines.push("", `${report.passed}/${report.scenarios.length} scenarios passed; ${clean}/${report.scenarios.length} with every stream grammar-clean`)
  return `${lines.join("\n")}\n`
}

export const json = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`
