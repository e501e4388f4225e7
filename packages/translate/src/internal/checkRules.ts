/**
 * The stream checker's rules: one stable id per check, its severity, and the grammar invariant it belongs to.
 * The README's conformance table mirrors this list (a test keeps them in step).
 *
 * Severities: a `violation` breaks the event grammar or a field the official SDK types require; a `warning` is
 * a departure that real OpenAI output also shows (or that only Parlance's strict schema asks for), which a
 * strict client may still trip on; a `note` is information (an event or item type the grammar does not know).
 */

export type Severity = "violation" | "warning" | "note"

export interface Rule {
  readonly severity: Severity
  /** docs/architecture.md#event-grammar invariant 1–8, or `grammar` (the productions) / `schema` (field shapes). */
  readonly invariant: string
  readonly summary: string
}

const v = (invariant: string, summary: string): Rule => ({ severity: "violation", invariant, summary })
const w = (invariant: string, summary: string): Rule => ({ severity: "warning", invariant, summary })
const n = (invariant: string, summary: string): Rule => ({ severity: "note", invariant, summary })

export const rules = {
  // events
  "event.shape": v("1", "an event is not a JSON object with a string `type`"),
  "event.sse-name": v("1", "the SSE `event:` name differs from the event's `type`"),
  "event.sequence-number": v("1", "`sequence_number` is missing or not the event's position (0, 1, 2, … without gaps)"),
  "event.unknown-type": n(
    "grammar",
    "an event type the grammar does not know (hosted tools…): checked only for its item's lifecycle"
  ),
  "event.schema": w("schema", "a known event does not match Parlance's strict event schema (fields OpenAI sends)"),
  "event.error": n("grammar", "the server sent an `error` event"),
  // the stream's frame
  "stream.first-event": v("grammar", "the stream does not start with `response.created`"),
  "stream.second-event": v("grammar", "the second event is not `response.in_progress` (or `response.queued`)"),
  "stream.lifecycle-repeated": v(
    "grammar",
    "`response.created` / `in_progress` / `queued` in the middle of the stream"
  ),
  "stream.after-terminal": v("6", "an event after the terminal event"),
  "stream.no-terminal": v(
    "6",
    "the stream ends without a terminal event (`response.completed` / `incomplete` / `failed`)"
  ),
  "stream.item-open-at-end": v("2", "the stream ends with an item still open"),
  // the Response object
  "response.missing": v("grammar", "a lifecycle event carries no `response` object"),
  "response.required-field": v(
    "schema",
    "the Response lacks a field the OpenAI SDK's `Response` type requires, or it has the wrong JSON type"
  ),
  "response.status": v("6", "`response.status` is not a Response status, or not `in_progress`/`queued` before the end"),
  "response.id-changed": v("3", "the Response's `id` changes between lifecycle events"),
  "response.schema": w(
    "schema",
    "the Response does not match Parlance's strict schema (e.g. no `completed_at`, `reasoning: null`)"
  ),
  // the generic item lifecycle (every item type)
  "item.interleaved": v("2", "an item is added while another is still open (items interleave)"),
  "item.not-current": v("2", "an event for an open item that is not the most recently added one (items interleave)"),
  "item.not-open": v("2", "an event for an item that was never added or is already done"),
  "item.unknown-id": v("3", "an event's `item_id` names no added item while another item is open"),
  "item.unbound": v("3", "an item event carries neither `item_id` nor `output_index`"),
  "item.output-index": v("3", "`output_index` is missing, not the next index on `added`, or not its item's"),
  "item.id": v("3", "an added item has no `id`, or one already used"),
  "item.call-id": v(
    "3",
    "a function_call / custom_tool_call item has no `call_id`, or it changes between added and done"
  ),
  "item.type-changed": v("4", "the done item's `type` differs from the added one's"),
  "item.parts-open": v("grammar", "`output_item.done` while one of its parts is still open"),
  "item.status": v(
    "5",
    "message / function_call / custom_tool_call / reasoning: added not `in_progress`, or done not `completed`/`incomplete`"
  ),
  "item.status-missing": w("5", "a reasoning item without `status` (real OpenAI output omits it)"),
  "item.unknown-type": n("grammar", "an item type the grammar does not know (hosted tools…): generic lifecycle only"),
  // content and summary parts (message, reasoning)
  "part.index": v("3", "`content_index` / `summary_index` is missing or not dense"),
  "part.overlap": v("2", "a part is added while an earlier part of the item is still open"),
  "part.not-open": v("grammar", "a text event or part `done` for a part that is not open"),
  "part.kind": v("grammar", "a part of the wrong kind for its item, or a text event of the wrong kind for its part"),
  "part.after-text-done": v("grammar", "a delta or second `.done` after the part's text was done"),
  "part.text-mismatch": v("4", "a text `.done` differs from the concatenated deltas"),
  "part.done-early": v("grammar", "`content_part.done` / `reasoning_summary_part.done` before the part's text `.done`"),
  "part.done-mismatch": v("4", "the part in `*_part.done` differs from the streamed text"),
  "item.content-mismatch": v(
    "4",
    "the done message / reasoning item's content or summary differs from its streamed parts"
  ),
  // function_call and custom_tool_call
  "call.wrong-item": v(
    "grammar",
    "`function_call_arguments.*` / `custom_tool_call_input.*` on an item of another type"
  ),
  "call.after-done": v("grammar", "an arguments/input event after its `.done`"),
  "call.delta-mismatch": v(
    "4",
    "`function_call_arguments.done` / `custom_tool_call_input.done` differs from the concatenated deltas"
  ),
  "call.name-mismatch": v("4", "`function_call_arguments.done` names another function than its item"),
  "call.done-name-missing": w("schema", "`function_call_arguments.done` without `name` (real OpenAI output omits it)"),
  "call.done-missing": v(
    "grammar",
    "a function_call / custom_tool_call item is done without its `.done` arguments/input event"
  ),
  "call.item-mismatch": v("4", "the done item's `arguments` / `input` differs from the streamed deltas"),
  "call.arguments-json": v("4", "a completed function_call's `arguments` is not JSON"),
  "call.caller-status": w(
    "5",
    "a function_call made by a program (`caller` set) is done with status `in_progress` (as OpenAI does)"
  ),
  // the terminal event
  "compaction.wrong-item": v("grammar", "`response.compaction.compacting` on an item that is not a compaction"),
  "compaction.shape": v("schema", "a compaction item without a string `encrypted_content`"),

  "terminal.item-open": v("2", "the terminal event arrives while an item is open"),
  "terminal.status": v("6", "the terminal event's type does not match `response.status`"),
  "terminal.incomplete-details": v("6", "`response.incomplete` without `incomplete_details`"),
  "terminal.output": v("6", "the terminal `response.output` differs from the done items (opaque blobs excepted)"),
  "terminal.opaque-changed": n(
    "6",
    "`encrypted_content` / `fingerprint` re-encrypted between `output_item.done` and the terminal Response"
  ),
  "terminal.usage": v(
    "6",
    "the terminal Response has no `usage`, or `total_tokens` ≠ `input_tokens` + `output_tokens`"
  ),
  "terminal.usage-null-failed": w("6", "`response.failed` with `usage: null` (as OpenAI sends it)")
} as const satisfies Record<string, Rule>

export type RuleId = keyof typeof rules
