/**
 * Reverse (docs/architecture.md#request-translation): a Response → a `chat.completion`, a Chat Completions request → a
 * Responses request, so that `/v1/chat/completions` can be served over a Responses-only backend.
 * @since 0.1.0
 */
import type {
  ChatCompletions,
  ResponseObject,
  ResponsesInput,
  ResponsesRequest,
  ResponsesTools
} from "@parlance/schema"
import * as Result from "effect/Result"
import * as ChatAggregate from "./ChatAggregate.js"
import * as FinishReason from "./FinishReason.js"
import * as ToolMapping from "./ToolMapping.js"
import { UnsupportedFeature, type TranslateError } from "./TranslateError.js"
import * as Usage from "./Usage.js"

/** A finished Response as the `chat.completion` a Chat Completions server would have answered. */
export const toChatCompletion = (response: ResponseObject.Response): ChatCompletions.ChatCompletion => {
  let content = ""
  let refusal = ""
  let reasoning = ""
  const toolCalls: Array<ChatCompletions.ChatToolCall> = []
  for (const item of response.output) {
    switch (item.type) {
      case "message":
        for (const part of item.content) {
          if (part.type === "output_text") content += part.text
          else refusal += part.refusal
        }
        break
      case "reasoning":
        reasoning += (item.content ?? []).map((p) => p.text).join("") || item.summary.map((p) => p.text).join("\n")
        break
      case "function_call":
        toolCalls.push({
          id: item.call_id,
          type: "function",
          function: { name: ToolMapping.chatName(item.name, item.namespace), arguments: item.arguments }
        })
        break
      case "custom_tool_call":
        toolCalls.push({
          id: item.call_id,
          type: "function",
          function: {
            name: ToolMapping.chatName(item.name, item.namespace),
            arguments: JSON.stringify({ [ToolMapping.customInputParam]: item.input })
          }
        })
        break
    }
  }
  return ChatAggregate.completion({
    id: response.id,
    created: response.created_at,
    model: response.model,
    content,
    reasoning,
    refusal,
    toolCalls,
    finishReason: FinishReason.fromResponse(response, toolCalls.length > 0),
    usage: Usage.toChat(response.usage ?? Usage.empty)
  })
}

const efforts = ["none", "minimal", "low", "medium", "high", "xhigh"] as const
const isEffort = (value: string): value is (typeof efforts)[number] =>
  (efforts as ReadonlyArray<string>).includes(value)

const refuse = (param: string, message: string) => Result.fail(new UnsupportedFeature({ param, message }))

const partsToInput = (
  content: string | ReadonlyArray<ChatCompletions.ChatContentPart>,
  param: string
): Result.Result<string | Array<ResponsesInput.InputContentPart>, TranslateError> => {
  if (typeof content === "string") return Result.succeed(content)
  const parts: Array<ResponsesInput.InputContentPart> = []
  for (const [j, part] of content.entries()) {
    switch (part.type) {
      case "text":
        parts.push({ type: "input_text", text: part.text })
        break
      case "refusal":
        parts.push({ type: "input_text", text: part.refusal })
        break
      case "image_url":
        parts.push({
          type: "input_image",
          image_url: part.image_url.url,
          ...(part.image_url.detail != null ? { detail: part.image_url.detail } : {})
        })
        break
      default:
        return refuse(`${param}[${j}]`, `Content parts of type '${part.type}' are not supported.`)
    }
  }
  return Result.succeed(parts)
}

const textOf = (content: string | ReadonlyArray<ChatCompletions.ChatContentPart> | null | undefined): string =>
  content == null
    ? ""
    : typeof content === "string"
      ? content
      : content.map((p) => (p.type === "text" ? p.text : p.type === "refusal" ? p.refusal : "")).join("")

/** A Chat Completions request as the equivalent Responses request (not stored, as chat completions are not). */
export const toResponsesRequest = (
  chat: ChatCompletions.ChatCompletionRequest
): Result.Result<ResponsesRequest.CreateResponseRequest, TranslateError> => {
  if ((chat.n ?? 1) > 1) return refuse("n", "n > 1 is not supported.")
  if (chat.stop != null) return refuse("stop", "Stop sequences have no Responses equivalent.")
  const effort = chat.reasoning_effort ?? undefined
  if (effort !== undefined && !isEffort(effort))
    return refuse("reasoning_effort", `Unknown reasoning_effort '${effort}'.`)
  const input: Array<ResponsesInput.InputItem> = []
  for (const [i, message] of chat.messages.entries()) {
    const param = `messages[${i}]`
    switch (message.role) {
      case "system":
      case "developer":
      case "user": {
        const content = partsToInput(message.content, `${param}.content`)
        if (Result.isFailure(content)) return Result.fail(content.failure)
        input.push({ role: message.role, content: content.success })
        break
      }
      case "assistant": {
        if (message.reasoning_content)
          input.push({
            type: "reasoning",
            summary: [],
            content: [{ type: "reasoning_text", text: message.reasoning_content }]
          })
        const text = textOf(message.content)
        if (text !== "" || message.refusal) input.push({ role: "assistant", content: text + (message.refusal ?? "") })
        for (const call of message.tool_calls ?? [])
          input.push({
            type: "function_call",
            call_id: call.id,
            name: call.function.name,
            arguments: call.function.arguments
          })
        break
      }
      case "tool":
        input.push({ type: "function_call_output", call_id: message.tool_call_id, output: textOf(message.content) })
        break
    }
  }
  const tools: Array<ResponsesTools.Tool> = (chat.tools ?? []).map((t) => ({
    type: "function",
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
    ...(t.function.strict != null ? { strict: t.function.strict } : {})
  }))
  const choice = chat.tool_choice
  const format = chat.response_format
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens
  return Result.succeed({
    model: chat.model,
    input,
    store: false,
    ...(tools.length > 0 ? { tools } : {}),
    ...(choice !== undefined
      ? { tool_choice: typeof choice === "string" ? choice : { type: "function" as const, name: choice.function.name } }
      : {}),
    ...(chat.parallel_tool_calls !== undefined ? { parallel_tool_calls: chat.parallel_tool_calls } : {}),
    ...(format !== undefined && format.type !== "text"
      ? {
          text: {
            format:
              format.type === "json_object"
                ? { type: "json_object" as const }
                : {
                    type: "json_schema" as const,
                    name: format.json_schema.name,
                    schema: format.json_schema.schema ?? {},
                    ...(format.json_schema.description !== undefined
                      ? { description: format.json_schema.description }
                      : {}),
                    ...(format.json_schema.strict != null ? { strict: format.json_schema.strict } : {})
                  }
          }
        }
      : {}),
    ...(maxTokens != null ? { max_output_tokens: maxTokens } : {}),
    ...(chat.temperature != null ? { temperature: chat.temperature } : {}),
    ...(chat.top_p != null ? { top_p: chat.top_p } : {}),
    ...(chat.user != null ? { user: chat.user } : {}),
    ...(chat.seed != null ? { seed: chat.seed } : {}),
    ...(chat.stream != null ? { stream: chat.stream } : {}),
    ...(effort !== undefined ? { reasoning: { effort } } : {})
  })
}
