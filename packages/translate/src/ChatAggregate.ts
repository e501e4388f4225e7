/**
 * Chat Completions chunks → one `chat.completion` (serving non-streaming `/v1/chat/completions` from a
 * streaming backend). Pure.
 * @since 0.1.0
 */
import type { ChatCompletions } from "@parlance/schema"

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
  const toolCalls = calls.filter(Boolean).map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.args } }))
  return {
    id: first?.id ?? fallback.id,
    object: "chat.completion",
    created: first?.created ?? fallback.created,
    model: first?.model ?? fallback.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: content === "" && toolCalls.length > 0 ? null : content,
          ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
          ...(refusal !== "" ? { refusal } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {})
        },
        finish_reason: (finish ?? "stop") as ChatCompletions.ChatFinishReason,
        logprobs: null
      }
    ],
    ...(usage !== undefined ? { usage } : {})
  }
}
