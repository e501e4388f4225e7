/**
 * What the stream checker remembers while it reads a stream, and how its handlers report. Every handler
 * receives the same `Ctx`; item handlers also receive their item, already resolved (never undefined).
 */
import type { JsonObject } from "./json.js"
import { type RuleId, rules, type Severity } from "./checkRules.js"

/** @category models */
export interface Finding {
  /** Index of the offending event in the stream (the stream's length for "ended without…"). */
  readonly index: number
  /** The invariant (1–8) of docs/architecture.md#event-grammar, `grammar` or `schema`. */
  readonly rule: string
  /** The stable rule id (`item.interleaved`, `terminal.output`…). */
  readonly id: RuleId
  readonly severity: Severity
  readonly message: string
}

/** A content part (message, reasoning content) or a reasoning summary part. */
export interface Part {
  readonly kind: string
  text: string
  textDone: boolean
  done: boolean
}

export interface Item {
  readonly id: string
  readonly outputIndex: number
  readonly type: string
  readonly added: JsonObject
  readonly parts: Array<Part>
  readonly summaries: Array<Part>
  /** Streamed function_call arguments / custom_tool_call input. */
  args: string
  argsDone: boolean
  /** The item of its `output_item.done`, once closed. */
  done: JsonObject | undefined
}

export interface State {
  /** Every added item, in order of `added` (= output_index order when the server numbers them right). */
  readonly items: Array<Item>
  readonly byId: Map<string, Item>
  /** The open items, the most recently added last: that one is "current". */
  readonly open: Array<Item>
  /** Index of the terminal event, -1 before it. */
  terminal: number
  responseId: string | undefined
  /** Unknown event and item types already noted (one note per type and stream). */
  readonly noted: Set<string>
  /** The second event was `response.queued`: `response.in_progress` must come third. */
  queued?: boolean
}

export const initialState = (): State => ({
  items: [],
  byId: new Map(),
  open: [],
  terminal: -1,
  responseId: undefined,
  noted: new Set()
})

export type Flag = (index: number, id: RuleId, message: string) => void

export interface Ctx {
  readonly index: number
  readonly event: JsonObject
  readonly type: string
  readonly state: State
  readonly flag: Flag
  /** Whether to judge shapes against Parlance's strict schema too. */
  readonly schema: boolean
}

export const current = (state: State): Item | undefined => state.open.at(-1)

/** A collecting `Flag` and the findings it collected. */
export const collector = (): { readonly flag: Flag; readonly findings: Array<Finding> } => {
  const findings: Array<Finding> = []
  const flag: Flag = (index, id, message) => {
    const rule = rules[id]
    findings.push({ index, rule: rule.invariant, id, severity: rule.severity, message })
  }
  return { flag, findings }
}

export const str = (v: unknown): string => (typeof v === "string" ? v : "")
export const show = (v: unknown): string => (v === undefined ? "undefined" : JSON.stringify(v))

/** Item types whose bodies the grammar knows; every other type gets the generic lifecycle only. */
export const strictItemTypes: ReadonlySet<string> = new Set([
  "message",
  "function_call",
  "custom_tool_call",
  "reasoning"
])
