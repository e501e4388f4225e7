/**
 * JSON Schemas for what Parlance emits that the Open Responses document (2026-04-24) does not define but the
 * official `openai` SDK (6.49.0, `resources/responses/responses.d.ts`) does: Codex's custom and namespace
 * tools, `custom_tool_call` items and their input events, OpenAI's `response.reasoning_text.*` event names
 * (the spec calls them `response.reasoning.*`, same fields), and the built-in tool types that are echoed.
 * Each lists exactly the fields the SDK marks required, so they guard the same thing the spec's schemas do.
 * @since 0.1.0
 */

type JsonSchema = Record<string, unknown>

const str = { type: "string" }
const int = { type: "integer" }
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] })
const literal = (value: string): JsonSchema => ({ type: "string", enum: [value] })
const status = { type: "string", enum: ["in_progress", "completed", "incomplete"] }

const object = (required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: "object",
  required: Object.keys(required),
  properties: { ...required, ...optional }
})

/** `ResponseCustomToolCall`. */
const CustomToolCall = object(
  { type: literal("custom_tool_call"), call_id: str, input: str, name: str },
  { id: str, namespace: str, status }
)

/** `CustomTool` (its `description` is `string`, never null). */
const CustomTool = object(
  { type: literal("custom"), name: str },
  { description: str, format: { type: "object" }, defer_loading: { type: "boolean" } }
)

/** `NamespaceTool` and its `NamespaceTool.Function`. */
const NamespaceFunction = object(
  { type: literal("function"), name: str },
  { description: nullable(str), parameters: {}, strict: nullable({ type: "boolean" }) }
)
const NamespaceTool = object({
  type: literal("namespace"),
  name: str,
  description: str,
  tools: { type: "array", items: { anyOf: [NamespaceFunction, CustomTool] } }
})

/** Hosted tools a local model cannot run, echoed as the request named them. */
export const builtinToolTypes = [
  "web_search",
  "web_search_preview",
  "web_search_2025_08_26",
  "web_search_preview_2025_03_11",
  "file_search",
  "local_shell",
  "shell",
  "apply_patch",
  "computer",
  "computer_use_preview",
  "code_interpreter",
  "image_generation",
  "mcp",
  "tool_search",
  "programmatic_tool_calling"
]
const BuiltinTool = object({ type: { type: "string", enum: builtinToolTypes } })

/** `ToolChoiceCustom` and `ToolChoiceTypes`. */
const CustomToolChoice = object({ type: literal("custom"), name: str })
const BuiltinToolChoice = object({ type: { type: "string", enum: builtinToolTypes } })

const itemEvent = (type: string, field: string) =>
  object({ type: literal(type), sequence_number: int, item_id: str, output_index: int, [field]: str })
const partEvent = (type: string, field: string) =>
  object({
    type: literal(type),
    sequence_number: int,
    item_id: str,
    output_index: int,
    content_index: int,
    [field]: str
  })

export const extensionSchemas: Record<string, JsonSchema> = {
  "x-CustomToolCall": CustomToolCall,
  "x-CustomTool": CustomTool,
  "x-NamespaceTool": NamespaceTool,
  "x-BuiltinTool": BuiltinTool,
  "x-CustomToolChoice": CustomToolChoice,
  "x-BuiltinToolChoice": BuiltinToolChoice
}

/** Event type → schema, for the SDK's events the spec lacks. */
export const extensionEvents: Record<string, JsonSchema> = {
  "response.custom_tool_call_input.delta": itemEvent("response.custom_tool_call_input.delta", "delta"),
  "response.custom_tool_call_input.done": itemEvent("response.custom_tool_call_input.done", "input"),
  "response.reasoning_text.delta": partEvent("response.reasoning_text.delta", "delta"),
  "response.reasoning_text.done": partEvent("response.reasoning_text.done", "text"),
  // `ResponseCompactionCompactingEvent` (openai 7.60): automatic compaction's progress on its compaction item.
  "response.compaction.compacting": object({
    type: literal("response.compaction.compacting"),
    sequence_number: int,
    item_id: str,
    output_index: int
  })
}

/** The SDK's names for events the spec defines under another name (the spec's name → OpenAI's). */
export const openAiAliases: Record<string, string> = {
  "response.reasoning.delta": "response.reasoning_text.delta",
  "response.reasoning.done": "response.reasoning_text.done"
}
