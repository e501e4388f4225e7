/**
 * An event timeline for people: one line per event (sequence number, type, item id, a short delta or text)
 * with its grammar findings beneath it (violations first, then warnings and notes). Pure.
 */
import type { ValidateStream } from "@parlance/translate"
import { isObject, type Json } from "./json.js"

const str = (v: unknown): string => (typeof v === "string" ? v : "")

const quote = (text: string, max = 48): string => {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text
  return JSON.stringify(cut)
}

/** The detail column of one event. */
const detail = (e: Json): string => {
  if (typeof e.delta === "string") return quote(e.delta)
  for (const key of ["text", "arguments", "input", "refusal"])
    if (typeof e[key] === "string") return `= ${quote(str(e[key]))}`
  const item = isObject(e.item) ? e.item : undefined
  if (item) return [str(item.type), str(item.name), str(item.status)].filter((s) => s !== "").join(" ")
  const part = isObject(e.part) ? e.part : undefined
  if (part) return str(part.type)
  const response = isObject(e.response) ? e.response : undefined
  if (response) {
    const reason = isObject(response.incomplete_details) ? ` (${str(response.incomplete_details.reason)})` : ""
    const error = isObject(response.error) ? ` ${str(response.error.code)}: ${str(response.error.message)}` : ""
    return `${str(response.status)}${reason}${error}`
  }
  if (e.type === "error") return `${str(e.code)}: ${str(e.message)}`
  return ""
}

const itemId = (e: Json): string =>
  str(e.item_id) || (isObject(e.item) ? str(e.item.id) : "") || (isObject(e.response) ? str(e.response.id) : "")

/** `✗ #6 rule 3: … [item.unknown-id]`, `! #2 warning: … [response.schema]`, `· #4 note: … [event.unknown-type]`. */
export const formatFinding = (f: ValidateStream.Finding): string => {
  if (f.severity === "violation") return `✗ #${f.index} rule ${f.rule}: ${f.message} [${f.id}]`
  return `${f.severity === "warning" ? "!" : "·"} #${f.index} ${f.severity}: ${f.message} [${f.id}]`
}

const order = { violation: 0, warning: 1, note: 2 } as const

/** One line per event; findings are printed under the event they point at (or at the end). */
export const timeline = (
  events: ReadonlyArray<unknown>,
  findings: ReadonlyArray<ValidateStream.Finding> = [],
  ansi = false
): string => {
  const colour = { violation: 31, warning: 33, note: 2 } as const
  const paint = (f: ValidateStream.Finding) =>
    ansi ? `\x1b[${colour[f.severity]}m${formatFinding(f)}\x1b[0m` : formatFinding(f)
  const sorted = [...findings].sort((a, b) => a.index - b.index || order[a.severity] - order[b.severity])
  const idWidth = Math.max(8, ...events.map((raw) => (isObject(raw) ? itemId(raw).length : 0)))
  const rows = events.map((raw, i) => {
    const e = isObject(raw) ? raw : {}
    const seq = typeof e.sequence_number === "number" ? String(e.sequence_number) : "?"
    const type =
      str(e.type).replace(/^response\./, "") || (typeof raw === "string" ? `(raw) ${quote(raw)}` : "(not an event)")
    return { i, line: `${seq.padStart(4)}  ${type.padEnd(34)} ${itemId(e).padEnd(idWidth)} ${detail(e)}`.trimEnd() }
  })
  const lines: Array<string> = []
  const byIndex = new Map<number, Array<ValidateStream.Finding>>()
  for (const f of sorted) {
    const at = Math.min(f.index, events.length)
    const list = byIndex.get(at) ?? []
    list.push(f)
    byIndex.set(at, list)
  }
  for (const row of rows) {
    lines.push(row.line)
    for (const f of byIndex.get(row.i) ?? []) lines.push(`        ${paint(f)}`)
  }
  for (const f of byIndex.get(events.length) ?? []) lines.push(`        ${paint(f)}`)
  return `${lines.join("\n")}\n`
}
