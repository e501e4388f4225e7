/**
 * The Response object and its output items, as OpenAI sends them (strict egress: every field present).
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Json } from "./internal/fields.js"
import { Phase } from "./ResponsesInput.js"
import { BuiltinTool, CustomTool, ToolChoice } from "./ResponsesTools.js"

const ItemStatus = Schema.Literals(["in_progress", "completed", "incomplete"])

/** @category schemas */
export const OutputText = Schema.Struct({
  type: Schema.Literal("output_text"),
  text: Schema.String,
  annotations: Schema.Array(Schema.Unknown),
  logprobs: Schema.Array(Schema.Unknown)
})
export type OutputText = typeof OutputText.Type
/** @category schemas */
export const Refusal = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })
export type Refusal = typeof Refusal.Type
/** @category schemas */
export const SummaryText = Schema.Struct({ type: Schema.Literal("summary_text"), text: Schema.String })
export type SummaryText = typeof SummaryText.Type
/** @category schemas */
export const ReasoningText = Schema.Struct({ type: Schema.Literal("reasoning_text"), text: Schema.String })
export type ReasoningText = typeof ReasoningText.Type

/** @category schemas */
export const OutputMessage = Schema.Struct({
  type: Schema.Literal("message"),
  id: Schema.String,
  status: ItemStatus,
  role: Schema.Literal("assistant"),
  content: Schema.Array(Schema.Union([OutputText, Refusal])),
  /** Present when known (an assistant message replayed as input keeps the client's). */
  phase: Schema.optional(Schema.NullOr(Phase))
})
export type OutputMessage = typeof OutputMessage.Type

/** @category schemas */
export const FunctionCall = Schema.Struct({
  type: Schema.Literal("function_call"),
  id: Schema.String,
  call_id: Schema.String,
  name: Schema.String,
  namespace: Schema.optional(Schema.String),
  arguments: Schema.String,
  status: ItemStatus
})
export type FunctionCall = typeof FunctionCall.Type

/** @category schemas */
export const CustomToolCall = Schema.Struct({
  type: Schema.Literal("custom_tool_call"),
  id: Schema.String,
  call_id: Schema.String,
  name: Schema.String,
  namespace: Schema.optional(Schema.String),
  input: Schema.String,
  status: ItemStatus
})
export type CustomToolCall = typeof CustomToolCall.Type

/** @category schemas */
export const Reasoning = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: Schema.String,
  summary: Schema.Array(SummaryText),
  content: Schema.optional(Schema.Array(ReasoningText)),
  encrypted_content: Schema.optional(Schema.NullOr(Schema.String)),
  status: ItemStatus
})
export type Reasoning = typeof Reasoning.Type

/** A conversation summary (remote compaction), opaque to the client: only the server that sealed it reads it. @category schemas */
export const Compaction = Schema.Struct({
  type: Schema.Literal("compaction"),
  id: Schema.String,
  encrypted_content: Schema.String,
  created_by: Schema.optional(Schema.String),
  /** OpenAI's compaction item has no status; declared (never sent) so code can read `item.status` on any output item. */
  status: Schema.optional(ItemStatus)
})
export type Compaction = typeof Compaction.Type

/** @category schemas */
export const OutputItem = Schema.Union([OutputMessage, FunctionCall, CustomToolCall, Reasoning, Compaction]).annotate({
  identifier: "OutputItem"
})
export type OutputItem = typeof OutputItem.Type

/** @category schemas */
export const Usage = Schema.Struct({
  input_tokens: Schema.Number,
  /** `cache_write_tokens` is required by the SDK's types since 7.60: 0 when the backend does not report it. */
  input_tokens_details: Schema.Struct({ cached_tokens: Schema.Number, cache_write_tokens: Schema.Number }),
  output_tokens: Schema.Number,
  output_tokens_details: Schema.Struct({ reasoning_tokens: Schema.Number }),
  total_tokens: Schema.Number
})
export type Usage = typeof Usage.Type

/**
 * A function tool as a Response echoes it: `description`, `parameters` and `strict` always present, `null`
 * when the request left them out (openai-node's `FunctionTool` and the spec's both require `strict: boolean | null`).
 * @category schemas
 */
export const FunctionToolEcho = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  parameters: Schema.NullOr(Json),
  strict: Schema.NullOr(Schema.Boolean)
})
export type FunctionToolEcho = typeof FunctionToolEcho.Type

/** The SDK's `NamespaceTool`: its `description` is a required string. @category schemas */
export const NamespaceToolEcho = Schema.Struct({
  type: Schema.Literal("namespace"),
  name: Schema.String,
  description: Schema.String,
  tools: Schema.Array(Schema.Union([FunctionToolEcho, CustomTool]))
})
export type NamespaceToolEcho = typeof NamespaceToolEcho.Type

/** @category schemas */
export const ToolEcho = Schema.Union([FunctionToolEcho, CustomTool, NamespaceToolEcho, BuiltinTool]).annotate({
  identifier: "ToolEcho"
})
export type ToolEcho = typeof ToolEcho.Type

/** `text.format` as echoed: a json_schema format always has `description` (or null) and `strict`. @category schemas */
export const TextFormatEcho = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.String,
    schema: Json,
    description: Schema.NullOr(Schema.String),
    strict: Schema.Boolean
  })
]).annotate({ identifier: "TextFormatEcho" })
export type TextFormatEcho = typeof TextFormatEcho.Type

/** @category schemas */
export const ResponseStatus = Schema.Literals([
  "completed",
  "failed",
  "in_progress",
  "cancelled",
  "queued",
  "incomplete"
])
export type ResponseStatus = typeof ResponseStatus.Type

/** @category schemas */
export const ResponseError = Schema.Struct({ code: Schema.String, message: Schema.String })
export type ResponseError = typeof ResponseError.Type

/**
 * The Response. Every field is always present (nullable where OpenAI sends null): strict deserializers
 * (Codex is Rust/serde) fail on a missing one.
 * @category schemas
 */
export const Response = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("response"),
  created_at: Schema.Number,
  completed_at: Schema.NullOr(Schema.Number),
  /** Present only when the request named a conversation (the SDK's type: optional). */
  conversation: Schema.optional(Schema.NullOr(Schema.Struct({ id: Schema.String }))),
  status: ResponseStatus,
  background: Schema.Boolean,
  error: Schema.NullOr(ResponseError),
  incomplete_details: Schema.NullOr(
    Schema.Struct({ reason: Schema.Literals(["max_output_tokens", "content_filter"]) })
  ),
  instructions: Schema.NullOr(Schema.String),
  max_output_tokens: Schema.NullOr(Schema.Number),
  max_tool_calls: Schema.NullOr(Schema.Number),
  model: Schema.String,
  output: Schema.Array(OutputItem),
  parallel_tool_calls: Schema.Boolean,
  previous_response_id: Schema.NullOr(Schema.String),
  prompt_cache_key: Schema.NullOr(Schema.String),
  prompt_cache_retention: Schema.NullOr(Schema.String),
  presence_penalty: Schema.Number,
  frequency_penalty: Schema.Number,
  reasoning: Schema.Struct({ effort: Schema.NullOr(Schema.String), summary: Schema.NullOr(Schema.String) }),
  safety_identifier: Schema.NullOr(Schema.String),
  service_tier: Schema.String,
  store: Schema.Boolean,
  temperature: Schema.NullOr(Schema.Number),
  text: Schema.Struct({ format: TextFormatEcho, verbosity: Schema.String }),
  tool_choice: ToolChoice,
  tools: Schema.Array(ToolEcho),
  top_logprobs: Schema.Number,
  top_p: Schema.NullOr(Schema.Number),
  truncation: Schema.Literals(["auto", "disabled"]),
  usage: Schema.NullOr(Usage),
  user: Schema.NullOr(Schema.String),
  metadata: Schema.Record(Schema.String, Schema.String)
}).annotate({ identifier: "Response" })
export type Response = typeof Response.Type
