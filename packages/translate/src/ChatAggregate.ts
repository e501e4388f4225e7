/**
 * Chat Completions chunks → one `chat.completion` (serving non-streaming `/v1/chat/completions` from a
 * streaming backend). Pure.
 * @since 0.1.0
 */
import type { ChatCompletions } from "@parlance/schema"
import * as FinishReason from "./FinishReason.js"

export const aggregate = (
  chunks: ReadonlyArray<ChatCompletions.ChatCompletionChunk>,
  fallback: { readonly id: string; readonly created: number; readonly model: string }
): ChatCompletions.ChatCompletion => {
  let content = ""
  let reasoning = ""
  let refusal = ""
  let finish: string | null = null
  let usage: ChatCompletions.ChatUsage | undefined
  const calls: Array<{ id: string; name: string; args: string }> = []
  for (const chunk of chunks) {
    if (chunk.usage != null) usage = chunk.usage
    for (const choice of chunk.choices) {
      if ((choice.index ?? 0) !== 0) continue
      const d = choice.delta ?? {}
      content += d.content ?? ""
      reasoning += d.reasoning_content ?? d.reasoning ?? ""
      refusal += d.refusal ?? ""
      for (const call of d.tool_calls ?? []) {
        const slot = (calls[call.index] ??= { id: "", name: "", args: "" })
        slot.id ||= call.id ?? ""
        slot.name ||= call.function?.name ?? ""
        slot.args += call.function?.arguments ?? ""
      }
      if (choice.finish_reason != null) finish = choice.finish_reason
    }
  }
  const first = chunks[0]
  const toolCalls = calls
    .filter(Boolean)
    .map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.args } }))
  return completion({
    id: first?.id ?? fallback.id,
    created: first?.created ?? fallback.created,
    model: first?.model ?? fallback.model,
    content,
    reasoning,
    refusal,
    toolCalls,
    finishReason: FinishReason.normalize(finish),
    usage
  })
}

/** One `chat.completion` with a single assistant choice, shaped as OpenAI shapes it. */
export const completion = (parts: {
  readonly id: string
  readonly created: number
  readonly model: string
  readonly content: string
  readonly reasoning: string
  readonly refusal: string
  readonly toolCalls: ReadonlyArray<ChatCompletions.ChatToolCall>
  readonly finishReason: ChatCompletions.ChatFinishReason
  readonly usage: ChatCompletions.ChatUsage | undefined
}): ChatCompletions.ChatCompletion => ({
  id: parts.id,
  object: "chat.completion",
  created: parts.created,
  model: parts.model,
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: parts.content === "" && parts.toolCalls.length > 0 ? null : parts.content,
        ...(parts.reasoning !== "" ? { reasoning_content: parts.reasoning } : {}),
        ...(parts.refusal !== "" ? { refusal: parts.refusal } : {}),
        ...(parts.toolCalls.length > 0 ? { tool_calls: parts.toolCalls } : {})
      },
      finish_reason: parts.finishReason,
      logprobs: null
    }
  ],
  ...(parts.usage !== undefined ? { usage: parts.usage } : {})
})
