/**
 * Responses API tools and `tool_choice`.
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, Json } from "./internal/fields.js"

/** @category schemas */
export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: opt(Schema.String),
  parameters: opt(Json),
  strict: opt(Schema.Boolean)
})
export type FunctionTool = typeof FunctionTool.Type

/** Codex's freeform tools (e.g. `apply_patch`): the model writes raw text, not JSON. @category schemas */
export const CustomTool = Schema.Struct({
  type: Schema.Literal("custom"),
  name: Schema.String,
  description: opt(Schema.String),
  format: opt(
    Schema.Struct({
      type: Schema.String,
      syntax: Schema.optional(Schema.String),
      definition: Schema.optional(Schema.String)
    })
  )
})
export type CustomTool = typeof CustomTool.Type

/** A group of tools under one name; calls come back with `namespace` set. @category schemas */
export const NamespaceTool = Schema.Struct({
  type: Schema.Literal("namespace"),
  name: Schema.String,
  description: opt(Schema.String),
  tools: Schema.Array(Schema.Union([FunctionTool, CustomTool]))
})
export type NamespaceTool = typeof NamespaceTool.Type

/** Hosted tools that a local model cannot run; skipped with a warning, or refused in strict mode. */
export const BuiltinToolTypes = [
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
] as const

/** @category schemas */
export const BuiltinTool = Schema.Struct({ type: Schema.Literals(BuiltinToolTypes) })
export type BuiltinTool = typeof BuiltinTool.Type

/** @category schemas */
export const Tool = Schema.Union([FunctionTool, CustomTool, NamespaceTool, BuiltinTool]).annotate({
  identifier: "Tool"
})
export type Tool = typeof Tool.Type

/** @category schemas */
export const ToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  Schema.Struct({ type: Schema.Literal("custom"), name: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("allowed_tools"),
    mode: Schema.Literals(["auto", "required"]),
    tools: Schema.Array(Schema.Struct({ type: Schema.String, name: Schema.optional(Schema.String) }))
  }),
  // `computer_use` is a tool_choice name only (the SDK's ToolChoiceTypes); the tool itself is `computer`.
  Schema.Struct({ type: Schema.Literals([...BuiltinToolTypes, "computer_use"]) })
]).annotate({ identifier: "ToolChoice" })
export type ToolChoice = typeof ToolChoice.Type
