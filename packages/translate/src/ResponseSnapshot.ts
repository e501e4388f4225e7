/**
 * Builds the full Response object that lifecycle events and non-streaming answers carry.
 * Every field is present (strict clients — Codex is Rust/serde — reject a missing one).
 * @since 0.1.0
 */
import type { ResponseObject, ResponsesRequest, ResponsesTools } from "@parlance/schema"

/** The request fields a Response echoes back. @category models */
export interface RequestEcho {
  readonly instructions?: string | null
  readonly max_output_tokens?: number | null
  readonly max_tool_calls?: number | null
  readonly parallel_tool_calls?: boolean | null
  readonly previous_response_id?: string | null
  /** The conversation the response belongs to: its id, or `{ id }`. */
  readonly conversation?: string | { readonly id: string } | null
  readonly prompt_cache_key?: string | null
  readonly prompt_cache_retention?: string | null
  readonly presence_penalty?: number | null
  readonly frequency_penalty?: number | null
  readonly reasoning?: ResponsesRequest.ReasoningConfig | null
  readonly safety_identifier?: string | null
  readonly store?: boolean | null
  readonly background?: boolean | null
  readonly temperature?: number | null
  readonly text?: ResponsesRequest.TextConfig | null
  readonly tool_choice?: ResponsesTools.ToolChoice | null
  readonly tools?: ReadonlyArray<ResponsesTools.Tool> | null
  readonly top_logprobs?: number | null
  readonly top_p?: number | null
  readonly truncation?: "auto" | "disabled" | null
  readonly user?: string | null
  readonly metadata?: Readonly<Record<string, string>> | null
}

/** @category constructors */
export const make = (options: {
  readonly id: string
  readonly createdAt: number
  readonly model: string
  readonly echo: RequestEcho
}): ResponseObject.Response => {
  const e = options.echo
  return {
    id: options.id,
    object: "response",
    created_at: options.createdAt,
    completed_at: null,
    // Only when the request named one, as OpenAI sends it (the SDK's type has it optional).
    ...(e.conversation != null
      ? { conversation: { id: typeof e.conversation === "string" ? e.conversation : e.conversation.id } }
      : {}),
    status: "in_progress",
    background: e.background ?? false,
    error: null,
    incomplete_details: null,
    instructions: e.instructions ?? null,
    max_output_tokens: e.max_output_tokens ?? null,
    max_tool_calls: e.max_tool_calls ?? null,
    model: options.model,
    output: [],
    parallel_tool_calls: e.parallel_tool_calls ?? true,
    previous_response_id: e.previous_response_id ?? null,
    prompt_cache_key: e.prompt_cache_key ?? null,
    prompt_cache_retention: e.prompt_cache_retention ?? null,
    // Unset sampling parameters echo OpenAI's documented defaults: the spec requires numbers here.
    presence_penalty: e.presence_penalty ?? 0,
    frequency_penalty: e.frequency_penalty ?? 0,
    reasoning: {
      effort: e.reasoning?.effort ?? null,
      summary: e.reasoning?.summary ?? e.reasoning?.generate_summary ?? null
    },
    safety_identifier: e.safety_identifier ?? null,
    // The tier that was used (OpenAI answers "auto" with the tier it picked): a local server has one.
    service_tier: "default",
    store: e.store ?? true,
    temperature: e.temperature ?? 1,
    text: { format: formatEcho(e.text?.format), verbosity: e.text?.verbosity ?? "medium" },
    tool_choice: e.tool_choice ?? "auto",
    tools: (e.tools ?? []).map(toolEcho),
    top_logprobs: e.top_logprobs ?? 0,
    top_p: e.top_p ?? 1,
    truncation: e.truncation ?? "disabled",
    usage: null,
    user: e.user ?? null,
    metadata: e.metadata ?? {}
  }
}

const functionEcho = (tool: ResponsesTools.FunctionTool): ResponseObject.FunctionToolEcho => ({
  type: "function",
  name: tool.name,
  description: tool.description ?? null,
  parameters: tool.parameters ?? null,
  strict: tool.strict ?? null
})

/** The SDK's `CustomTool` has optional, non-nullable `description` / `format`: drop the nulls. */
const customEcho = (tool: ResponsesTools.CustomTool): ResponsesTools.CustomTool => ({
  type: "custom",
  name: tool.name,
  ...(tool.description != null ? { description: tool.description } : {}),
  ...(tool.format != null ? { format: tool.format } : {})
})

const toolEcho = (tool: ResponsesTools.Tool): ResponseObject.ToolEcho => {
  switch (tool.type) {
    case "function":
      return functionEcho(tool)
    case "custom":
      return customEcho(tool)
    case "namespace":
      return {
        type: "namespace",
        name: tool.name,
        description: tool.description ?? "",
        tools: tool.tools.map((t) => (t.type === "function" ? functionEcho(t) : customEcho(t)))
      }
    default:
      return tool
  }
}

const formatEcho = (format: ResponsesRequest.TextFormat | null | undefined): ResponseObject.TextFormatEcho =>
  format == null
    ? { type: "text" }
    : format.type === "json_schema"
      ? {
          type: "json_schema",
          name: format.name,
          schema: format.schema,
          description: format.description ?? null,
          strict: format.strict ?? false
        }
      : format

/** `output_text`: the SDK convenience, the concatenated text of every message (not on the wire). */
export const outputText = (response: ResponseObject.Response): string => {
  let out = ""
  for (const item of response.output) {
    if (item.type !== "message") continue
    for (const part of item.content) if (part.type === "output_text") out += part.text
  }
  return out
}
