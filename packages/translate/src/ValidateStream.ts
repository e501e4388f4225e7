/**
 * The stream checker: judges ANY server's event stream by the grammar (docs/architecture.md#event-grammar). It powers
 * our tests and `parlance check` / `replay` against other servers, so it assumes nothing about the input and
 * judges the grammar, not Parlance's own field set: item types it does not know (OpenAI's hosted tools) get
 * the generic lifecycle, unknown event types are noted, and what real OpenAI output also does is a warning.
 *
 * `checkStream` returns every finding with its severity and stable rule id; `validateStream` only the
 * violations (with `strict`, warnings count as violations).
 * @since 0.1.0
 */
import * as Dialect from "./Dialect.js"
import * as Calls from "./internal/checkCalls.js"
import * as Items from "./internal/checkItems.js"
import * as Lifecycle from "./internal/checkLifecycle.js"
import * as Parts from "./internal/checkParts.js"
import * as CheckRules from "./internal/checkRules.js"
import { checkEventShape } from "./internal/checkShape.js"
import { collector, type Ctx, type Finding, initialState, type Item, show } from "./internal/checkState.js"
import { isObject } from "./internal/json.js"

/** @category models */
export type Severity = CheckRules.Severity
/** @category models */
export type RuleId = CheckRules.RuleId
/** @category models */
export type Rule = CheckRules.Rule
/** A finding: its event index, stable rule id, severity, grammar invariant (`rule`) and message. @category models */
export type { Finding }
/** What `validateStream` returns: the findings of severity `violation`. @category models */
export type Violation = Finding

/** Every rule the checker applies, by id (the README's conformance table lists the same). @category rules */
export const rules: Readonly<Record<RuleId, Rule>> = CheckRules.rules

/** @category models */
export interface Options {
  /** The SSE `event:` name of each event, when validating a raw SSE capture (invariant 1). */
  readonly eventNames?: ReadonlyArray<string | undefined>
  /** Also judge shapes against Parlance's strict schema (warnings; default true). */
  readonly schema?: boolean
  /** Escalate warnings to violations (Parlance holds its own output to this). */
  readonly strict?: boolean
}

type Handler =
  | { readonly on: "stream"; readonly run: (c: Ctx) => void }
  | { readonly on: "item"; readonly run: (c: Ctx, item: Item) => void }

const stream = (run: (c: Ctx) => void): Handler => ({ on: "stream", run })
const item = (run: (c: Ctx, item: Item) => void): Handler => ({ on: "item", run })
const items = (table: Readonly<Record<string, (c: Ctx, item: Item) => void>>): Record<string, Handler> =>
  Object.fromEntries(Object.entries(table).map(([type, run]) => [type, item(run)]))

/** One handler per event type the grammar knows, grouped by family. */
const handlers: Readonly<Record<string, Handler>> = {
  "response.created": stream(Lifecycle.opening),
  "response.in_progress": stream(Lifecycle.opening),
  "response.queued": stream(Lifecycle.opening),
  "response.completed": stream(Lifecycle.terminal),
  "response.incomplete": stream(Lifecycle.terminal),
  "response.failed": stream(Lifecycle.terminal),
  error: stream(Lifecycle.error),
  "response.output_item.added": stream(Items.added),
  "response.output_item.done": item(Items.makeDone({ ...Parts.closers, ...Calls.closers })),
  ...items(Parts.handlers),
  ...items(Calls.handlers),
  "response.compaction.compacting": item(Items.compacting)
}

/** Events whose shape the strict schema does not judge: lifecycle events are judged through their Response. */
const shapeless: ReadonlySet<string> = new Set([
  "response.created",
  "response.in_progress",
  "response.queued",
  "response.completed",
  "response.incomplete",
  "response.failed",
  "error"
])

const noteUnknownEvent = (c: Ctx): void => {
  if (c.state.noted.has(c.type)) return
  c.state.noted.add(c.type)
  c.flag(
    c.index,
    "event.unknown-type",
    `${c.type} is not an event type of the grammar${"item_id" in c.event || "output_index" in c.event ? ": checked for its item's lifecycle only" : ""}`
  )
}

/** Every finding, in stream order. @category validation */
export const checkStream = (events: ReadonlyArray<unknown>, options: Options = {}): ReadonlyArray<Finding> => {
  const { flag, findings } = collector()
  const state = initialState()
  events.forEach((raw, index) => {
    if (!isObject(raw) || typeof raw.type !== "string")
      return flag(index, "event.shape", "event is not an object with a string `type`")
    // Either dialect: the Open Responses spec's names are judged as the OpenAI names they stand for.
    const type = Dialect.toOpenAi(raw.type)
    const event = type === raw.type ? raw : { ...raw, type }
    const c: Ctx = { index, event, type, state, flag, schema: options.schema !== false }
    const name = options.eventNames?.[index]
    if (options.eventNames !== undefined && name !== raw.type)
      flag(index, "event.sse-name", `SSE event name ${show(name)} differs from type ${raw.type}`)
    if (raw.sequence_number !== index) {
      flag(
        index,
        "event.sequence-number",
        `${raw.sequence_number === undefined ? "no sequence_number" : `sequence_number is ${show(raw.sequence_number)}`}, expected ${index}`
      )
    }
    if (state.terminal >= 0) return flag(index, "stream.after-terminal", `${type} after the terminal event`)
    if (index === 0 && type !== "response.created")
      flag(index, "stream.first-event", `stream starts with ${type}, expected response.created`)
    if (index === 1 && type !== "response.in_progress" && type !== "response.queued")
      flag(index, "stream.second-event", `second event is ${type}, expected response.in_progress`)
    if (index === 2 && state.queued === true && type !== "response.in_progress")
      flag(index, "stream.second-event", `${type} after response.queued, expected response.in_progress`)
    const handler = handlers[type]
    if (handler === undefined) {
      noteUnknownEvent(c)
      // An unknown event of an item still belongs to that item's lifecycle.
      if ("item_id" in raw || "output_index" in raw) Items.bind(c)
      return
    }
    if (!shapeless.has(type)) checkEventShape(c)
    if (handler.on === "stream") return handler.run(c)
    const target = Items.bind(c)
    if (target !== undefined) handler.run(c, target)
  })
  for (const open of state.open)
    flag(events.length, "stream.item-open-at-end", `stream ended with item ${open.id} still open`)
  if (state.terminal < 0)
    flag(
      events.length,
      "stream.no-terminal",
      "stream ended without a terminal event (response.completed / incomplete / failed)"
    )
  return options.strict === true
    ? findings.map((f) => (f.severity === "warning" ? { ...f, severity: "violation" } : f))
    : findings
}

/** The violations of a stream (with `strict`, warnings too): what every test asserts empty. @category validation */
export const validateStream = (events: ReadonlyArray<unknown>, options: Options = {}): ReadonlyArray<Violation> =>
  checkStream(events, options).filter((f) => f.severity === "violation")
