/**
 * Field shapes, in two layers. What the official `openai` SDK types require of the Response is a violation
 * when absent or of the wrong JSON type; everything else Parlance's strict schema asks for (every field OpenAI
 * sends, exact literals) is a warning: real OpenAI output itself lacks `completed_at` in older responses, sends
 * `reasoning: null`, reasoning items without `status`…, and a grammar checker must not fail it for that.
 */
import { OpenAiError, ResponseEvents, ResponseObject } from "@parlance/schema"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type Ctx, strictItemTypes } from "./checkState.js"
import { isObject, type JsonObject } from "./json.js"

type FieldCheck = readonly [field: string, ok: (v: unknown) => boolean, expected: string]

const nullOr = (ok: (v: unknown) => boolean) => (v: unknown) => v === null || ok(v)
const isString = (v: unknown) => typeof v === "string"
const isNumber = (v: unknown) => typeof v === "number"

/** The non-optional fields of openai-node's `Response` interface (`output_text` is computed by the SDK). */
const sdkRequired: ReadonlyArray<FieldCheck> = [
  ["id", isString, "a string"],
  ["object", (v) => v === "response", `"response"`],
  ["created_at", isNumber, "a number"],
  ["error", nullOr(isObject), "an object or null"],
  ["incomplete_details", nullOr(isObject), "an object or null"],
  ["instructions", nullOr((v) => isString(v) || Array.isArray(v)), "a string, an array or null"],
  ["metadata", nullOr(isObject), "an object or null"],
  ["model", isString, "a string"],
  ["output", Array.isArray, "an array"],
  ["parallel_tool_calls", (v) => typeof v === "boolean", "a boolean"],
  ["temperature", nullOr(isNumber), "a number or null"],
  ["tool_choice", (v) => isString(v) || isObject(v), "a string or an object"],
  ["tools", Array.isArray, "an array"],
  ["top_p", nullOr(isNumber), "a number or null"]
]

const describeIssues = (issues: ReadonlyArray<OpenAiError.Issue>): string => {
  const shown = issues
    .slice(0, 4)
    .map((i) => `${i.path.join(".") || "(root)"} (${i.message.replace(/\s+/g, " ").slice(0, 90)})`)
  return `${shown.join(", ")}${issues.length > 4 ? ` (+${issues.length - 4} more)` : ""}`
}

const issuesOf = <A, I>(schema: Schema.Codec<A, I>, value: unknown): ReadonlyArray<OpenAiError.Issue> => {
  const decoded = Schema.decodeUnknownResult(schema, { errors: "all", reportInput: true })(value)
  return Result.isSuccess(decoded) ? [] : OpenAiError.issues(decoded.failure)
}

/** The Response object of a lifecycle event: SDK-required fields (violations), then the strict schema (warning). */
export const checkResponseShape = (c: Ctx, response: JsonObject): void => {
  const wrong = sdkRequired.filter(([field, ok]) => !ok(response[field]))
  if (wrong.length > 0) {
    const list = wrong.map(
      ([field, , expected]) => `${field} (${field in response ? `expected ${expected}` : "missing"})`
    )
    c.flag(
      c.index,
      "response.required-field",
      `${c.type}: the Response's ${list.join(", ")} — the OpenAI SDK's Response type requires them`
    )
  }
  if (!c.schema) return
  // Output items are judged one by one at their done events (and against the terminal output): not twice.
  const flagged = new Set(wrong.map(([field]) => field))
  const issues = issuesOf(ResponseObject.Response, { ...response, output: [] }).filter(
    (i) => !flagged.has(String(i.path[0]))
  )
  if (issues.length > 0)
    c.flag(
      c.index,
      "response.schema",
      `${c.type}: the Response does not match the strict schema at ${describeIssues(issues)}`
    )
}

/** Paths that a grammar rule owns (it reports them with its own id and severity). */
const ownedPaths: ReadonlySet<string> = new Set([
  "type",
  "sequence_number",
  "output_index",
  "item_id",
  "content_index",
  "summary_index",
  "name",
  "item.id",
  "item.type",
  "item.status",
  "item.call_id"
])

const decodeEvent = ResponseEvents.ResponseStreamEvent

/** A known item event against Parlance's strict event schema (a warning). Items of unknown types are skipped. */
export const checkEventShape = (c: Ctx): void => {
  if (!c.schema) return
  if (isObject(c.event.item) && !strictItemTypes.has(String(c.event.item.type))) return
  const issues = issuesOf(decodeEvent, c.event).filter((i) => !ownedPaths.has(i.path.join(".")))
  if (issues.length > 0)
    c.flag(c.index, "event.schema", `${c.type} does not match the strict event schema at ${describeIssues(issues)}`)
}
