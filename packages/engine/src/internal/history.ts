/**
 * Chat Completions messages → node-llama-cpp chat history. An assistant turn, the tool results that answer
 * its calls, and the assistant text after them form one `model` item (node-llama-cpp's shape for function
 * calling); a history ending in tool results therefore continues that model response.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import type { ChatContentPart, ChatMessage, ChatToolCall } from "@parlance/schema/ChatCompletions"
import * as Result from "effect/Result"
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp"
import { invalidRequest } from "./errors.js"

type Content = string | ReadonlyArray<ChatContentPart>

const contentText = (content: Content, param: string): Result.Result<string, BackendError> => {
  if (typeof content === "string") return Result.succeed(content)
  const texts: Array<string> = []
  for (let j = 0; j < content.length; j++) {
    const part = content[j]
    if (part.type === "text") texts.push(part.text)
    else if (part.type === "refusal") texts.push(part.refusal)
    else {
      const what = part.type === "image_url" ? "image" : part.type === "input_audio" ? "audio" : "file"
      return Result.fail(
        invalidRequest(
          `This model is text-only: ${what} input (${part.type}) is not supported.`,
          `${param}[${j}]`,
          "unsupported_content_type"
        )
      )
    }
  }
  return Result.succeed(texts.join("\n"))
}

const parseArguments = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const parseResult = (text: string): unknown => {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null ? value : text
  } catch {
    return text
  }
}

interface PendingCall {
  readonly call: ChatModelFunctionCall
  readonly messageIndex: number
  answered: boolean
}

/** Build the history; fails with a 400 naming the offending `messages[…]` param. */
export const toChatHistory = (
  messages: ReadonlyArray<ChatMessage>
): Result.Result<Array<ChatHistoryItem>, BackendError> => {
  if (messages.length === 0)
    return Result.fail(invalidRequest("'messages' must contain at least one message.", "messages"))
  const history: Array<ChatHistoryItem> = []
  let openModel: ChatModelResponse | undefined // the model item tool results and continuations attach to
  let pending = new Map<string, PendingCall>()
  const unanswered = (): Result.Result<void, BackendError> => {
    for (const [id, p] of pending) {
      if (!p.answered)
        return Result.fail(
          invalidRequest(
            `An assistant message with 'tool_calls' must be followed by tool messages responding to each ` +
              `'tool_call_id'. The following tool_call_id did not have a response message: ${id}`,
            `messages[${p.messageIndex}]`
          )
        )
    }
    return Result.succeed(undefined)
  }
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]
    const param = `messages[${i}].content`
    if (message.role === "tool") {
      const p = pending.get(message.tool_call_id)
      if (p === undefined)
        return Result.fail(
          invalidRequest(
            `Messages with role 'tool' must be a response to a preceding message with 'tool_calls' ` +
              `(unknown tool_call_id '${message.tool_call_id}').`,
            `messages[${i}]`
          )
        )
      const text = contentText(message.content, param)
      if (Result.isFailure(text)) return Result.fail(text.failure)
      p.call.result = parseResult(text.success)
      p.answered = true
      continue
    }
    if (message.role === "assistant") {
      const check = unanswered()
      if (Result.isFailure(check)) return Result.fail(check.failure)
      const afterToolResults = openModel !== undefined && pending.size > 0
      const item: ChatModelResponse =
        afterToolResults && openModel !== undefined ? openModel : { type: "model", response: [] }
      if (!afterToolResults) history.push(item)
      pending = new Map()
      if (message.reasoning_content != null && message.reasoning_content !== "") {
        // A final assistant message with only reasoning is a prefill: generation continues the thought.
        const continues =
          i === messages.length - 1 &&
          (message.content == null || message.content === "") &&
          (message.tool_calls ?? []).length === 0
        item.response.push({
          type: "segment",
          segmentType: "thought",
          text: message.reasoning_content,
          ended: !continues
        })
      }
      if (message.content != null) {
        const text = contentText(message.content, param)
        if (Result.isFailure(text)) return Result.fail(text.failure)
        if (text.success !== "") item.response.push(text.success)
      }
      if (message.refusal != null && message.refusal !== "") item.response.push(message.refusal)
      const calls: ReadonlyArray<ChatToolCall> = message.tool_calls ?? []
      calls.forEach((toolCall, k) => {
        const call: ChatModelFunctionCall = {
          type: "functionCall",
          name: toolCall.function.name,
          params: parseArguments(toolCall.function.arguments),
          result: "",
          startsNewChunk: k === 0
        }
        item.response.push(call)
        pending.set(toolCall.id, { call, messageIndex: i, answered: false })
      })
      openModel = item
      continue
    }
    const check = unanswered()
    if (Result.isFailure(check)) return Result.fail(check.failure)
    pending = new Map()
    openModel = undefined
    const text = contentText(message.content, param)
    if (Result.isFailure(text)) return Result.fail(text.failure)
    history.push(
      message.role === "user" ? { type: "user", text: text.success } : { type: "system", text: text.success }
    )
  }
  const check = unanswered()
  if (Result.isFailure(check)) return Result.fail(check.failure)
  return Result.succeed(history)
}
