/**
 * Responses API input: content parts and input items, as clients really send them.
 *
 * Liberal (docs/architecture.md#request-translation): items without `type` (`{ role, content }`), unknown ids,
 * `function_call.arguments` as an object, `function_call_output.output` as parts, `reasoning` items whose
 * `summary` / `content` are `null` or absent (Codex sends all of these).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { opt } from "./internal/fields.js"
import { ReasoningEffort, TextFormat } from "./internal/textAndReasoning.js"
import { Tool } from "./ResponsesTools.js"

const Status = Schema.Literals(["in_progress", "completed", "incomplete"])

/**
 * Where an assistant message sits in its turn: a preamble before tool calls, or the turn's answer. Clients
 * (Codex) resend it on every assistant message; models stop early or repeat preambles when it is dropped.
 * @category schemas
 */
export const Phase = Schema.Literals(["commentary", "final_answer"])
export type Phase = typeof Phase.Type

/**
 * Marks the end of a reusable prompt prefix (OpenAI's explicit prompt caching, SDK 7.60). Accepted and not
 * passed on: the engine and the local servers (llama-server, vLLM) reuse a cached prefix by themselves, with no
 * hint, and a hint would force text-only content out of the one-string form every chat template reads
 * (docs/architecture.md#request-translation).
 * @category schemas
 */
export const PromptCacheBreakpoint = Schema.Struct({
  mode: Schema.Literal("explicit"),
  ttl: opt(Schema.Literals(["30m", "12h"]))
})

/** @category schemas */
export const InputText = Schema.Struct({
  type: Schema.Literal("input_text"),
  text: Schema.String,
  prompt_cache_breakpoint: opt(PromptCacheBreakpoint)
})
/** @category schemas */
export const InputImage = Schema.Struct({
  type: Schema.Literal("input_image"),
  image_url: opt(Schema.String),
  file_id: opt(Schema.String),
  detail: opt(Schema.String),
  prompt_cache_breakpoint: opt(PromptCacheBreakpoint)
})
/** @category schemas */
export const InputFile = Schema.Struct({
  type: Schema.Literal("input_file"),
  file_data: opt(Schema.String),
  file_id: opt(Schema.String),
  file_url: opt(Schema.String),
  filename: opt(Schema.String),
  detail: opt(Schema.String),
  prompt_cache_breakpoint: opt(PromptCacheBreakpoint)
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
export const InputContentPart = Schema.Union([
  InputText,
  InputImage,
  InputFile,
  InputAudio,
  OutputTextInput,
  RefusalInput
])
export type InputContentPart = typeof InputContentPart.Type

/** A message, typed (`type: "message"`) or easy (`{ role, content }`). @category schemas */
export const MessageInput = Schema.Struct({
  type: Schema.optional(Schema.Literal("message")),
  id: opt(Schema.String),
  role: Schema.Literals(["user", "assistant", "system", "developer"]),
  content: Schema.Union([Schema.String, Schema.Array(InputContentPart)]),
  status: opt(Status),
  phase: opt(Phase)
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
  arguments: Schema.Union([Schema.String, Schema.Record(Schema.String, Schema.Unknown)]),
  status: opt(Status)
})
export type FunctionCallInput = typeof FunctionCallInput.Type

const ToolOutput = Schema.Union([Schema.String, Schema.Array(InputContentPart)])

/**
 * A tool's output. `call_id` is optional in the SDK's types (7.60: an output named by `name`/`namespace`, for a
 * call a hosted program made); without it the output cannot answer a chat tool call and is skipped, with a warning.
 * @category schemas
 */
export const FunctionCallOutputInput = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  id: opt(Schema.String),
  call_id: opt(Schema.String),
  name: opt(Schema.String),
  namespace: opt(Schema.String),
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

/** A stored item by id; `type` may be left out (`{ id }`), as the SDK's types allow, and reads as `item_reference`. @category schemas */
export const ItemReferenceInput = Schema.Struct({
  type: Schema.Literal("item_reference").pipe(Schema.withDecodingDefaultKey(Effect.succeed("item_reference" as const))),
  id: Schema.String
})
export type ItemReferenceInput = typeof ItemReferenceInput.Type

/** A summary of the conversation so far, sealed by the server that wrote it. @category schemas */
export const CompactionInput = Schema.Struct({
  type: Schema.Literal("compaction"),
  id: opt(Schema.String),
  encrypted_content: Schema.String,
  created_by: opt(Schema.String)
})
export type CompactionInput = typeof CompactionInput.Type

/** Asks for this response to be one `compaction` item (remote compaction V2). @category schemas */
export const CompactionTriggerInput = Schema.Struct({
  type: Schema.Literal("compaction_trigger"),
  id: opt(Schema.String)
})
export type CompactionTriggerInput = typeof CompactionTriggerInput.Type

/** Tools declared mid-conversation (Codex 0.150+): offered to the model like top-level `tools`. @category schemas */
export const AdditionalToolsInput = Schema.Struct({
  type: Schema.Literal("additional_tools"),
  id: opt(Schema.String),
  role: opt(Schema.String),
  tools: Schema.Array(Tool)
})
export type AdditionalToolsInput = typeof AdditionalToolsInput.Type

/**
 * Changes the reasoning effort and the text format from this point of the conversation on (SDK 7.60). The last
 * one in the conversation wins over the request's own `reasoning.effort` and `text.format`.
 * @category schemas
 */
export const ConfigurationUpdateInput = Schema.Struct({
  type: Schema.Literal("configuration_update"),
  id: opt(Schema.String),
  reasoning: opt(Schema.Struct({ effort: opt(ReasoningEffort) })),
  text: opt(Schema.Struct({ format: TextFormat }))
})
export type ConfigurationUpdateInput = typeof ConfigurationUpdateInput.Type

/** Who made a call: the model directly, or a hosted program (programmatic tool calling). */
const Caller = opt(Schema.Struct({ type: Schema.String, caller_id: Schema.optional(Schema.String) }))

/**
 * A call of OpenAI's `shell` tool. Replayed as a tool call named `shell` whose arguments are the `action`, so
 * that a model reading the history sees which commands ran (the tool itself is hosted: it is not offered).
 * @category schemas
 */
export const ShellCallInput = Schema.Struct({
  type: Schema.Literal("shell_call"),
  id: opt(Schema.String),
  call_id: Schema.String,
  action: Schema.Struct({
    commands: Schema.Array(Schema.String),
    max_output_length: opt(Schema.Number),
    timeout_ms: opt(Schema.Number)
  }),
  caller: Caller,
  environment: opt(Schema.Unknown),
  status: opt(Status)
})
export type ShellCallInput = typeof ShellCallInput.Type

/** What a `shell_call`'s commands printed, one entry per command; replayed as the tool's output. @category schemas */
export const ShellCallOutputInput = Schema.Struct({
  type: Schema.Literal("shell_call_output"),
  id: opt(Schema.String),
  call_id: Schema.String,
  output: Schema.Array(
    Schema.Struct({
      stdout: Schema.String,
      stderr: Schema.String,
      outcome: Schema.Struct({ type: Schema.String, exit_code: opt(Schema.Number) })
    })
  ),
  max_output_length: opt(Schema.Number),
  caller: Caller,
  status: opt(Status)
})
export type ShellCallOutputInput = typeof ShellCallOutputInput.Type

/** A call of OpenAI's `apply_patch` tool; replayed as a tool call named `apply_patch` whose arguments are the `operation`. @category schemas */
export const ApplyPatchCallInput = Schema.Struct({
  type: Schema.Literal("apply_patch_call"),
  id: opt(Schema.String),
  call_id: Schema.String,
  operation: Schema.Struct({
    type: Schema.Literals(["create_file", "delete_file", "update_file"]),
    path: Schema.String,
    diff: Schema.optional(Schema.String)
  }),
  caller: Caller,
  status: opt(Schema.String)
})
export type ApplyPatchCallInput = typeof ApplyPatchCallInput.Type

/** @category schemas */
export const ApplyPatchCallOutputInput = Schema.Struct({
  type: Schema.Literal("apply_patch_call_output"),
  id: opt(Schema.String),
  call_id: Schema.String,
  status: Schema.Literals(["completed", "failed"]),
  output: opt(Schema.String),
  caller: Caller
})
export type ApplyPatchCallOutputInput = typeof ApplyPatchCallOutputInput.Type

/**
 * Item types of the OpenAI reference that a local model cannot use (hosted tools' calls and outputs). They
 * are accepted and skipped with a warning: a client replaying its history must not get a 400 every turn.
 * `program` / `program_output` are code OpenAI's hosted programmatic tool calling ran and its result: no local
 * runtime runs such a program, and the `fingerprint` that ties it to its run is OpenAI's (the function calls the
 * program made come as ordinary `function_call` items and are replayed).
 */
export const UnusableItemTypes = [
  "file_search_call",
  "computer_call",
  "computer_call_output",
  "web_search_call",
  "tool_search_call",
  "tool_search_output",
  "image_generation_call",
  "code_interpreter_call",
  "local_shell_call",
  "local_shell_call_output",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
  "mcp_call",
  "program",
  "program_output"
] as const

/** @category schemas */
export const UnusableItemInput = Schema.Struct({ type: Schema.Literals(UnusableItemTypes), id: opt(Schema.String) })
export type UnusableItemInput = typeof UnusableItemInput.Type

/** @category schemas */
export const InputItem = Schema.Union([
  MessageInput,
  FunctionCallInput,
  FunctionCallOutputInput,
  CustomToolCallInput,
  CustomToolCallOutputInput,
  ReasoningInput,
  ItemReferenceInput,
  CompactionInput,
  CompactionTriggerInput,
  AdditionalToolsInput,
  ConfigurationUpdateInput,
  ShellCallInput,
  ShellCallOutputInput,
  ApplyPatchCallInput,
  ApplyPatchCallOutputInput,
  UnusableItemInput
]).annotate({ identifier: "InputItem" })
export type InputItem = typeof InputItem.Type
