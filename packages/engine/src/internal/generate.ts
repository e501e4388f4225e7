/**
 * One generation on a leased sequence: `LlamaChat.generateResponse` with streaming callbacks mapped to
 * Chat Completions deltas (text → `content`, thought segments → `reasoning_content`, function call params →
 * `tool_calls`), then the finish chunk and the usage chunk. Aborting the signal stops within one token.
 * Usage: `prompt_tokens` = tokens of the rendered prompt, `cached_tokens` = its prefix already in the
 * sequence's KV cache, `completion_tokens` = sampled tokens (the sequence's token meter, leased exclusively),
 * `reasoning_tokens` = the tokens of thought segments among them.
 */
import {
  type ChatDelta,
  type ChatFinishReason,
  type ChatUsage,
  missingArguments
} from "@parlance/schema/ChatCompletions"
import type { LlamaChatResponseChunk, LlamaChatResponseFunctionCallParamsChunk } from "node-llama-cpp"
import { randomId } from "./chunks.js"
import { makeTokenBias } from "./functions.js"
import { commonPrefixLength, type Slot } from "./pool.js"
import type { Prepared } from "./prepare.js"

export interface GenerationSink {
  readonly delta: (delta: ChatDelta) => void
}

export type Outcome =
  | { readonly _tag: "Finished"; readonly finishReason: ChatFinishReason; readonly usage: ChatUsage }
  | { readonly _tag: "Aborted" }
  | { readonly _tag: "Failed"; readonly cause: unknown; readonly emitted: boolean }

interface ToolCallState {
  readonly index: number
  /** The arguments streamed so far. */
  arguments: string
  /** Whitespace held back: the grammar lets the model pad after the JSON value; it is sent only if more JSON follows. */
  pendingWhitespace: string
}

/** Tokens already in the sequence's KV cache that this prompt reuses (at least the last prompt token is re-evaluated). */
export const reusedPrefix = (slot: Slot, promptTokens: Prepared["promptTokens"]): number =>
  Math.min(commonPrefixLength(slot.sequence.contextTokens, promptTokens), Math.max(0, promptTokens.length - 1))

export const runGeneration = async (
  slot: Slot,
  prepared: Prepared,
  sink: GenerationSink,
  signal: AbortSignal
): Promise<Outcome> => {
  const cachedTokens = reusedPrefix(slot, prepared.promptTokens)
  const meterBefore = slot.sequence.tokenMeter.getState().usedOutputTokens
  let started = false
  const emit = (delta: ChatDelta): void => {
    if (signal.aborted) return
    if (!started) {
      started = true
      sink.delta({ role: "assistant", content: null })
    }
    sink.delta(delta)
  }
  const calls = new Map<number, ToolCallState>()
  /** Calls that streamed no arguments get `{}` (ChatCompletions.missingArguments: the one home of the rule). */
  const fillMissingArguments = (): void => {
    for (const call of calls.values()) {
      const missing = missingArguments(call.arguments)
      if (missing !== "") emit({ tool_calls: [{ index: call.index, function: { arguments: missing } }] })
    }
  }
  let reasoningTokens = 0
  const onResponseChunk = (chunk: LlamaChatResponseChunk): void => {
    if (chunk.type === "segment" && chunk.segmentType === "thought") reasoningTokens += chunk.tokens.length
    if (chunk.text === "") return
    if (chunk.type === "segment") emit({ reasoning_content: chunk.text })
    else emit({ content: chunk.text })
  }
  const onFunctionCallParamsChunk = (chunk: LlamaChatResponseFunctionCallParamsChunk): void => {
    let call = calls.get(chunk.callIndex)
    if (call === undefined) {
      call = { index: calls.size, arguments: "", pendingWhitespace: "" }
      calls.set(chunk.callIndex, call)
      emit({
        tool_calls: [
          {
            index: call.index,
            id: randomId("call_"),
            type: "function",
            function: { name: chunk.functionName, arguments: "" }
          }
        ]
      })
    }
    if (chunk.paramsChunk === "") return
    if (chunk.paramsChunk.trim() === "") {
      call.pendingWhitespace += chunk.paramsChunk
      return
    }
    const text = call.pendingWhitespace + chunk.paramsChunk
    call.pendingWhitespace = ""
    call.arguments += text
    emit({ tool_calls: [{ index: call.index, function: { arguments: text } }] })
  }
  // Only pass a bias when there is one: a bias function makes node-llama-cpp reconfigure the sampler every step.
  const tokenBias =
    prepared.forcedPrefix !== undefined || prepared.logitBias.length > 0
      ? makeTokenBias(slot.chat.model.tokenizer, prepared.forcedPrefix, prepared.logitBias)
      : undefined
  const penalties = prepared.presencePenalty !== undefined || prepared.frequencyPenalty !== undefined
  try {
    const common = {
      onResponseChunk,
      signal,
      stopOnAbortSignal: true,
      maxTokens: prepared.maxTokens,
      temperature: prepared.temperature,
      topP: prepared.topP,
      topK: prepared.topK,
      minP: prepared.minP,
      ...(tokenBias === undefined ? {} : { tokenBias }),
      repeatPenalty: penalties
        ? { penalty: 1, presencePenalty: prepared.presencePenalty, frequencyPenalty: prepared.frequencyPenalty }
        : (false as const),
      ...(prepared.seed === undefined ? {} : { seed: prepared.seed }),
      ...(prepared.stop.length === 0 ? {} : { customStopTriggers: prepared.stop })
    }
    const result =
      prepared.plan.functions !== undefined
        ? await slot.chat.generateResponse(prepared.history, {
            ...common,
            functions: prepared.plan.functions,
            documentFunctionParams: true,
            onFunctionCallParamsChunk,
            ...(prepared.plan.maxParallelFunctionCalls === undefined
              ? {}
              : { maxParallelFunctionCalls: prepared.plan.maxParallelFunctionCalls })
          })
        : await slot.chat.generateResponse(prepared.history, {
            ...common,
            ...(prepared.grammar === undefined ? {} : { grammar: prepared.grammar })
          })
    if (signal.aborted || result.metadata.stopReason === "abort") return { _tag: "Aborted" }
    // A call whose params are empty still gets valid JSON arguments.
    fillMissingArguments()
    if (!started && !signal.aborted) {
      started = true
      sink.delta({ role: "assistant", content: null })
    }
    const stopReason = result.metadata.stopReason
    const finishReason: ChatFinishReason =
      stopReason === "maxTokens" ? "length" : calls.size > 0 || stopReason === "functionCalls" ? "tool_calls" : "stop"
    return {
      _tag: "Finished",
      finishReason,
      usage: usage(
        prepared,
        cachedTokens,
        slot.sequence.tokenMeter.getState().usedOutputTokens - meterBefore,
        reasoningTokens
      )
    }
  } catch (cause) {
    if (signal.aborted) return { _tag: "Aborted" }
    // node-llama-cpp can throw after a call's params were fully streamed (e.g. validating random bytes): the
    // client already holds the calls, so end cleanly, but only when every call's arguments are whole JSON.
    if (calls.size > 0 && [...calls.values()].every((call) => call.arguments === "" || isJson(call.arguments))) {
      fillMissingArguments()
      return {
        _tag: "Finished",
        finishReason: "tool_calls",
        usage: usage(
          prepared,
          cachedTokens,
          slot.sequence.tokenMeter.getState().usedOutputTokens - meterBefore,
          reasoningTokens
        )
      }
    }
    return { _tag: "Failed", cause, emitted: started }
  }
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

export const usage = (
  prepared: Pick<Prepared, "promptTokens">,
  cachedTokens: number,
  completionTokens: number,
  reasoningTokens: number
): ChatUsage => ({
  prompt_tokens: prepared.promptTokens.length,
  completion_tokens: completionTokens,
  total_tokens: prepared.promptTokens.length + completionTokens,
  prompt_tokens_details: { cached_tokens: cachedTokens },
  // Segment tokens are sampled tokens too; the bound keeps a miscount from exceeding what was generated.
  completion_tokens_details: { reasoning_tokens: Math.min(reasoningTokens, completionTokens) }
})
