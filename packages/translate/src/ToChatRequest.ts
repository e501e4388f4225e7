/**
 * Responses request (+ the stored conversation) → Chat Completions request (DESIGN §4).
 * @since 0.1.0
 */
import type { ChatCompletions, ResponsesRequest } from "@parlance/schema"
import * as Either from "effect/Either"
import { type FileText, type HistoryItem, itemsToMessages } from "./internal/itemsToMessages.js"
import { toChatTools } from "./internal/toolsToChat.js"
import type * as ToolMapping from "./ToolMapping.js"
import { UnsupportedFeature, type TranslateError } from "./TranslateError.js"

export type { FileText, HistoryItem }

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
}

const refuse = (param: string, message: string) => Either.left(new UnsupportedFeature({ param, message }))

const supportedIncludes = new Set(["reasoning.encrypted_content", "message.output_text.logprobs"])

export const toChatRequest = (
  request: ResponsesRequest.CreateResponseRequest,
  history: ReadonlyArray<HistoryItem> = [],
  options: Options = {}
): Either.Either<ChatRequestPlan, TranslateError> => {
  if (request.background === true) return refuse("background", "Background responses are not supported yet.")
  if (request.conversation != null) return refuse("conversation", "Conversations are not supported; use previous_response_id.")
  if (request.prompt != null) return refuse("prompt", "Stored prompt templates are not supported.")
  const model = request.model ?? options.defaultModel
  if (model === undefined || model === "") return refuse("model", "A model is required.")

  const warnings: Array<string> = []
  for (const value of request.include ?? []) {
    if (!supportedIncludes.has(value)) warnings.push(`include '${value}' is not supported and was ignored.`)
  }
  if (request.include?.includes("reasoning.encrypted_content")) warnings.push("Local models have no encrypted reasoning; reasoning is sent in clear.")

  const tools = toChatTools(request.tools ?? [], request.tool_choice, options.strictTools === true, warnings)
  if (Either.isLeft(tools)) return Either.left(tools.left)

  const input = request.input ?? []
  const items = [
    ...history.map((item) => ({ item, param: "previous_response_id" })),
    ...(typeof input === "string"
      ? [{ item: { role: "user", content: input } as HistoryItem, param: "input" }]
      : input.map((item, i) => ({ item: item as HistoryItem, param: `input[${i}]` })))
  ]
  const converted = itemsToMessages(items, options.resolveItem ?? (() => undefined), options.fileText)
  if ("error" in converted) return Either.left(converted.error)
  const messages: Array<ChatCompletions.ChatMessage> = []
  if (request.instructions != null && request.instructions !== "") messages.push({ role: "system", content: request.instructions })
  messages.push(...converted.messages)
  if (messages.length === 0) return refuse("input", "The request has no input.")

  const format = request.text?.format
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
    ...(tools.right.tools.length > 0 ? { tools: tools.right.tools } : {}),
    ...(tools.right.toolChoice !== undefined ? { tool_choice: tools.right.toolChoice } : {}),
    ...(request.parallel_tool_calls != null && tools.right.tools.length > 0 ? { parallel_tool_calls: request.parallel_tool_calls } : {}),
    ...(responseFormat !== undefined ? { response_format: responseFormat } : {}),
    ...(request.max_output_tokens != null ? { max_tokens: request.max_output_tokens } : {}),
    ...(request.temperature != null ? { temperature: request.temperature } : {}),
    ...(request.top_p != null ? { top_p: request.top_p } : {}),
    ...(request.presence_penalty != null ? { presence_penalty: request.presence_penalty } : {}),
    ...(request.frequency_penalty != null ? { frequency_penalty: request.frequency_penalty } : {}),
    ...(request.seed != null ? { seed: request.seed } : {}),
    ...(request.user != null ? { user: request.user } : {}),
    ...(request.reasoning?.effort != null ? { reasoning_effort: request.reasoning.effort } : {})
  }
  const summary = request.reasoning?.summary ?? request.reasoning?.generate_summary
  return Either.right({ request: chat, tools: tools.right.map, reasoning: summary != null ? "summary" : "text", warnings })
}
