/**
 * Responses API input: content parts and input items, as clients really send them.
 *
 * Liberal on purpose (DESIGN §4): items without `type` (`{ role, content }`), ids never stored here,
 * `function_call.arguments` as an object, `function_call_output.output` as parts, `reasoning` items whose
 * `summary` / `content` are `null` or absent (Codex sends all of these).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt } from "./internal/fields.js"

const Status = Schema.Literal("in_progress", "completed", "incomplete")

/** @category schemas */
export const InputText = Schema.Struct({ type: Schema.Literal("input_text"), text: Schema.String })
/** @category schemas */
export const InputImage = Schema.Struct({
  type: Schema.Literal("input_image"),
  image_url: opt(Schema.String),
  file_id: opt(Schema.String),
  detail: opt(Schema.String)
})
/** @category schemas */
export const InputFile = Schema.Struct({
  type: Schema.Literal("input_file"),
  file_data: opt(Schema.String),
  file_id: opt(Schema.String),
  file_url: opt(Schema.String),
  filename: opt(Schema.String)
})
export type InputFile = typeof InputFile.Type
/** @category schemas */
export const InputAudio = Schema.Struct({ type: Schema.Literal("input_audio"), input_audio: Schema.Unknown })
/** @category schemas */
export const OutputTextInput = Schema.Struct({
  type: Schema.Literal("output_text"),
  text: Schema.String,
  annotations: Schema.optional(Schema.Array(Schema.Unknown)),
  logprobs: opt(Schema.Array(Schema.Unknown))
})
/** @category schemas */
export const RefusalInput = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })

/** @category schemas */
export const InputContentPart = Schema.Union(InputText, InputImage, InputFile, InputAudio, OutputTextInput, RefusalInput)
export type InputContentPart = typeof InputContentPart.Type

/** A message, typed (`type: "message"`) or easy (`{ role, content }`). @category schemas */
export const MessageInput = Schema.Struct({
  type: Schema.optional(Schema.Literal("message")),
  id: opt(Schema.String),
  role: Schema.Literal("user", "assistant", "system", "developer"),
  content: Schema.Union(Schema.String, Schema.Array(InputContentPart)),
  status: opt(Status)
})
export type MessageInput = typeof MessageInput.Type

/** @category schemas */
export const FunctionCallInput = Schema.Struct({
  type: Schema.Literal("function_call"),
  id: opt(Schema.String),
  call_id: Schema.String,
  name: Schema.String,
  namespace: opt(Schema.String),
  /** A JSON string on the wire; some clients send the parsed object. */
  arguments: Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  status: opt(Status)
})
export type FunctionCallInput = typeof FunctionCallInput.Type

const ToolOutput = Schema.Union(Schema.String, Schema.Array(InputContentPart))

/** @category schemas */
export const FunctionCallOutputInput = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  id: opt(Schema.String),
  call_id: Schema.String,
  output: ToolOutput,
  status: opt(Status)
})
export type FunctionCallOutputInput = typeof FunctionCallOutputInput.Type

/** @category schemas */
export const CustomToolCallInput = Schema.Struct({
  type: Schema.Literal("custom_tool_call"),
  id: opt(Schema.String),
  call_id: Schema.String,
  name: Schema.String,
  namespace: opt(Schema.String),
  input: Schema.String,
  status: opt(Status)
})
export type CustomToolCallInput = typeof CustomToolCallInput.Type

/** @category schemas */
export const CustomToolCallOutputInput = Schema.Struct({
  type: Schema.Literal("custom_tool_call_output"),
  id: opt(Schema.String),
  call_id: Schema.String,
  output: ToolOutput
})
export type CustomToolCallOutputInput = typeof CustomToolCallOutputInput.Type

const TextPart = <T extends string>(type: T) => Schema.Struct({ type: Schema.Literal(type), text: Schema.String })

/** @category schemas */
export const ReasoningInput = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: opt(Schema.String),
  summary: opt(Schema.Array(TextPart("summary_text"))),
  content: opt(Schema.Array(TextPart("reasoning_text"))),
  encrypted_content: opt(Schema.String),
  status: opt(Status)
})
export type ReasoningInput = typeof ReasoningInput.Type

/** @category schemas */
export const ItemReferenceInput = Schema.Struct({ type: Schema.Literal("item_reference"), id: Schema.String })
export type ItemReferenceInput = typeof ItemReferenceInput.Type

/** @category schemas */
export const InputItem = Schema.Union(
  MessageInput,
  FunctionCallInput,
  FunctionCallOutputInput,
  CustomToolCallInput,
  CustomToolCallOutputInput,
  ReasoningInput,
  ItemReferenceInput
).annotations({ identifier: "InputItem" })
export type InputItem = typeof InputItem.Type
