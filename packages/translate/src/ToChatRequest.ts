/**
 * Responses request (+ stored conversation) → Chat Completions request (docs/architecture.md#request-translation).
 * @since 0.1.0
 */
import type { ChatCompletions, ResponsesInput, ResponsesRequest, ResponsesTools } from "@parlance/schema"
import * as Result from "effect/Result"
import { type FileText, type HistoryItem, itemsToMessages, type Unsealed } from "./internal/itemsToMessages.js"
import { type ChatTools, toChatTools } from "./internal/toolsToChat.js"
import type * as ToolMapping from "./ToolMapping.js"
import { InvalidRequest, UnsupportedFeature, type TranslateError } from "./TranslateError.js"

export type { FileText, HistoryItem, Unsealed }

/**
 * The instruction appended to the conversation when the client asks for a compaction: the model writes the
 * summary that will stand for everything before it.
 */
export const summaryInstruction =
  "Summarize the conversation so far for a continuation of this task in a new context window. Keep the " +
  "user's goal and constraints, decisions made, what has been done (files, commands and their results), what " +
  "remains to do, and any identifiers or values needed to continue. Write only the summary."

/** @category models */
export interface Options {
  /** Refuse built-in tools (web_search, mcp…) with a 400 instead of skipping them with a warning. */
  readonly strictTools?: boolean
  /** Resolves `item_reference` ids (from the store). */
  readonly resolveItem?: (id: string) => HistoryItem | undefined
  /** The text of an `input_file` part, read beforehand; without it (or when it answers undefined) the part is refused. */
  readonly fileText?: FileText
  /** Used when the request names no model. */
  readonly defaultModel?: string
  /** Opens an `encrypted_content` this server sealed (reasoning, compaction); undefined for a foreign blob. */
  readonly unseal?: (blob: string) => Unsealed | undefined
  /** Put assistant messages' `phase` on the chat messages (for an upstream that reads it). */
  readonly assistantPhase?: boolean
  /** Compaction whatever the input says (`/v1/responses/compact`). */
  readonly compact?: boolean
  /**
   * Where `history` came from, named in errors about its items. `"conversation"`: the caller read the
   * request's `conversation` into `history`, so the field is accepted (otherwise it is refused: nothing here
   * can read a conversation).
   */
  readonly historyFrom?: "previous_response_id" | "conversation"
}

/** @category models */
export interface ChatRequestPlan {
  readonly request: ChatCompletions.ChatCompletionRequest
  /** Chat function name → the Responses tool it stands for. */
  readonly tools: ToolMapping.ToolMap
  /** How the sequencer should surface reasoning. */
  readonly reasoning: "text" | "summary"
  /** Lossy but legal mappings (skipped built-in tools, ignored `include` values…). */
  readonly warnings: ReadonlyArray<string>
  /** The response must be one `compaction` item: the input ended with a `compaction_trigger`, or `compact` was set. */
  readonly compaction: boolean
}

const refuse = (param: string, message: string) => Result.fail(new UnsupportedFeature({ param, message }))
/** As OpenAI answers a request that lacks what it must have (`missing_required_parameter`). */
const missing = (param: string, message: string) =>
  Result.fail(new InvalidRequest({ param, message, code: "missing_required_parameter" }))

const supportedIncludes = new Set(["reasoning.encrypted_content", "message.output_text.logprobs"])

export const toChatRequest = (
  request: ResponsesRequest.CreateResponseRequest,
  history: ReadonlyArray<HistoryItem> = [],
  options: Options = {}
): Result.Result<ChatRequestPlan, TranslateError> => {
  if (request.conversation != null && options.historyFrom !== "conversation")
    return refuse("conversation", "Conversations are not supported; use previous_response_id.")
  if (request.prompt != null) return refuse("prompt", "Stored prompt templates are not supported.")
  const model = request.model ?? options.defaultModel
  if (model === undefined || model === "") return missing("model", "Missing required parameter: 'model'.")

  const warnings: Array<string> = []
  for (const value of request.include ?? []) {
    if (!supportedIncludes.has(value)) warnings.push(`include '${value}' is not supported and was ignored.`)
  }

  const input = request.input ?? []
  const compaction =
    options.compact === true || (typeof input !== "string" && input.some((item) => item.type === "compaction_trigger"))
  // A summary is text: no tools are offered for it.
  const tools: Result.Result<ChatTools, TranslateError> = compaction
    ? Result.succeed({ tools: [], toolChoice: undefined, map: new Map() })
    : toChatTools(
        withAdditionalTools(request.tools ?? [], history, input),
        request.tool_choice,
        options.strictTools === true,
        warnings
      )
  if (Result.isFailure(tools)) return Result.fail(tools.failure)

  const items = [
    ...history.map((item) => ({ item, param: options.historyFrom ?? "previous_response_id" })),
    ...(typeof input === "string"
      ? [{ item: { role: "user", content: input } as HistoryItem, param: "input" }]
      : input.map((item, i) => ({ item: item as HistoryItem, param: `input[${i}]` })))
  ]
  const converted = itemsToMessages(items, {
    fileText: options.fileText ?? (() => undefined),
    resolve: options.resolveItem ?? (() => undefined),
    unseal: options.unseal ?? (() => undefined),
    assistantPhase: options.assistantPhase === true,
    warnings
  })
  if ("error" in converted) return Result.fail(converted.error)
  const messages: Array<ChatCompletions.ChatMessage> = []
  if (request.instructions != null && request.instructions !== "")
    messages.push({ role: "system", content: request.instructions })
  messages.push(...converted.messages)
  if (messages.length === 0)
    return missing("input", "The request has no input: give 'input' (or 'instructions', or a previous response).")
  if (compaction) messages.push({ role: "user", content: summaryInstruction })

  const update = lastConfigurationUpdate(history, input)
  const format = compaction ? undefined : (update?.text?.format ?? request.text?.format)
  const effort = update?.reasoning?.effort ?? request.reasoning?.effort
  const responseFormat: ChatCompletions.ChatResponseFormat | undefined =
    format == null || format.type === "text"
      ? undefined
      : format.type === "json_object"
        ? { type: "json_object" }
        : {
            type: "json_schema",
            json_schema: {
              name: format.name,
              schema: format.schema,
              ...(format.description != null ? { description: format.description } : {}),
              ...(format.strict != null ? { strict: format.strict } : {})
            }
          }

  const chat: ChatCompletions.ChatCompletionRequest = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(tools.success.tools.length > 0 ? { tools: tools.success.tools } : {}),
    ...(tools.success.toolChoice !== undefined ? { tool_choice: tools.success.toolChoice } : {}),
    ...(request.parallel_tool_calls != null && tools.success.tools.length > 0
      ? { parallel_tool_calls: request.parallel_tool_calls }
      : {}),
    ...(responseFormat !== undefined ? { response_format: responseFormat } : {}),
    ...(request.max_output_tokens != null ? { max_tokens: request.max_output_tokens } : {}),
    ...(request.temperature != null ? { temperature: request.temperature } : {}),
    ...(request.top_p != null ? { top_p: request.top_p } : {}),
    ...(request.presence_penalty != null ? { presence_penalty: request.presence_penalty } : {}),
    ...(request.frequency_penalty != null ? { frequency_penalty: request.frequency_penalty } : {}),
    ...(request.seed != null ? { seed: request.seed } : {}),
    ...(request.user != null ? { user: request.user } : {}),
    ...(effort != null ? { reasoning_effort: effort } : {})
  }
  const summary = request.reasoning?.summary ?? request.reasoning?.generate_summary
  return Result.succeed({
    request: chat,
    tools: tools.success.map,
    reasoning: summary != null ? "summary" : "text",
    warnings,
    compaction
  })
}

/**
 * The conversation's last `configuration_update` item (SDK 7.60): it changes the reasoning effort and the text
 * format from its place in the conversation on, so it wins over the request's own `reasoning.effort` and
 * `text.format`, as any later turn's setting would.
 */
const lastConfigurationUpdate = (
  history: ReadonlyArray<HistoryItem>,
  input: NonNullable<ResponsesRequest.CreateResponseRequest["input"]>
): ResponsesInput.ConfigurationUpdateInput | undefined => {
  let last: ResponsesInput.ConfigurationUpdateInput | undefined
  for (const item of [...history, ...(typeof input === "string" ? [] : input)])
    if (item.type === "configuration_update") last = item as ResponsesInput.ConfigurationUpdateInput
  return last
}

/**
 * The request's tools plus those declared by `additional_tools` items (Codex 0.150+), in conversation order;
 * a tool declared again under the same name keeps its first declaration.
 */
const withAdditionalTools = (
  tools: ReadonlyArray<ResponsesTools.Tool>,
  history: ReadonlyArray<HistoryItem>,
  input: NonNullable<ResponsesRequest.CreateResponseRequest["input"]>
): ReadonlyArray<ResponsesTools.Tool> => {
  const declared = [...history, ...(typeof input === "string" ? [] : input)].flatMap((item) =>
    item.type === "additional_tools" && "tools" in item ? item.tools : []
  )
  if (declared.length === 0) return tools
  const key = (tool: ResponsesTools.Tool) => `${tool.type}:${"name" in tool ? tool.name : ""}`
  const seen = new Set(tools.map(key))
  return [...tools, ...declared.filter((tool) => (seen.has(key(tool)) ? false : (seen.add(key(tool)), true)))]
}
