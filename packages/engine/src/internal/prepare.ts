/**
 * Validate a Chat Completions request and turn it into everything generation needs, before any sequence is
 * leased: history, functions, grammar, the rendered prompt's tokens (for the context check, prefix routing
 * and `usage.prompt_tokens`), sampling options.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import * as Effect from "effect/Effect"
import type { ChatHistoryItem, ChatWrapper, LlamaGrammar, LlamaModel, Token } from "node-llama-cpp"
import { contextLengthExceeded, errorMessage, invalidRequest } from "./errors.js"
import { callPrefixTokens, planFunctions, type FunctionsPlan } from "./functions.js"
import type { GrammarCache } from "./grammar.js"
import { toChatHistory } from "./history.js"

/** llama-server's sampling defaults, used when the request leaves a field unset. */
const DEFAULT_TEMPERATURE = 0.8
const DEFAULT_TOP_P = 0.95
const DEFAULT_TOP_K = 40
const DEFAULT_MIN_P = 0.05

export interface Prepared {
  readonly history: Array<ChatHistoryItem>
  readonly plan: FunctionsPlan
  /** Tokens a forced call starts with (`tool_choice` required / named). */
  readonly forcedPrefix: ReadonlyArray<Token> | undefined
  readonly grammar: LlamaGrammar | undefined
  readonly promptTokens: ReadonlyArray<Token>
  readonly maxTokens: number
  readonly temperature: number
  readonly topP: number
  readonly topK: number
  readonly minP: number
  readonly seed: number | undefined
  readonly stop: ReadonlyArray<string>
  readonly logitBias: ReadonlyArray<readonly [Token, number]>
  readonly presencePenalty: number | undefined
  readonly frequencyPenalty: number | undefined
}

export interface PrepareContext {
  readonly model: LlamaModel
  readonly chatWrapper: ChatWrapper
  readonly contextSize: number
  readonly grammars: GrammarCache
}

const withModelTurn = (history: ReadonlyArray<ChatHistoryItem>): Array<ChatHistoryItem> =>
  history.length > 0 && history[history.length - 1].type === "model"
    ? history.slice()
    : [...history, { type: "model", response: [] }]

/** The prompt exactly as `LlamaChat.generateResponse` renders and tokenizes it. */
export const renderPrompt = (
  ctx: Pick<PrepareContext, "model" | "chatWrapper">,
  history: ReadonlyArray<ChatHistoryItem>,
  plan: FunctionsPlan
): Array<Token> =>
  ctx.chatWrapper
    .generateContextState({
      chatHistory: withModelTurn(history),
      availableFunctions: plan.functions,
      documentFunctionParams: true
    })
    .contextText.tokenize(ctx.model.tokenizer)

const positiveInt = (
  value: number | null | undefined,
  param: string
): Effect.Effect<number | undefined, BackendError> =>
  value == null
    ? Effect.succeed(undefined)
    : Number.isInteger(value) && value >= 1
      ? Effect.succeed(value)
      : Effect.fail(invalidRequest(`'${param}' must be a positive integer, got ${value}.`, param, "invalid_value"))

/**
 * The prompt a request renders to, validated as generation validates it: its history, functions and tokens.
 * The one home of that rendering for generation (`prepare`) and for counting (`countPromptTokens`), so that a
 * count is `usage.prompt_tokens` of the same request.
 */
export const promptOf: (
  ctx: PrepareContext,
  request: ChatCompletionRequest
) => Effect.Effect<
  { readonly history: Array<ChatHistoryItem>; readonly plan: FunctionsPlan; readonly promptTokens: Array<Token> },
  BackendError
> = Effect.fnUntraced(function* (ctx: PrepareContext, request: ChatCompletionRequest) {
  const history = yield* Effect.fromResult(toChatHistory(request.messages))
  const plan = yield* Effect.fromResult(planFunctions(request))
  for (const [param, schema] of plan.schemas) yield* ctx.grammars.validate(schema, param)
  const promptTokens = yield* Effect.try({
    try: () => renderPrompt(ctx, history, plan),
    catch: (cause) => invalidRequest(`Could not render the chat template: ${errorMessage(cause)}`, "messages")
  })
  return { history, plan, promptTokens }
})

/** Tokens of the prompt `request` renders to; a prompt past the context is counted all the same (no overflow check). */
export const countPromptTokens = (ctx: PrepareContext, request: ChatCompletionRequest) =>
  Effect.map(promptOf(ctx, request), (prompt) => prompt.promptTokens.length)

export const prepare: (ctx: PrepareContext, request: ChatCompletionRequest) => Effect.Effect<Prepared, BackendError> =
  Effect.fnUntraced(function* (ctx: PrepareContext, request: ChatCompletionRequest) {
    if (request.n != null && request.n !== 1)
      return yield* Effect.fail(invalidRequest("Only n=1 is supported by this engine.", "n", "unsupported_value"))
    const requestedMax =
      (yield* positiveInt(request.max_completion_tokens, "max_completion_tokens")) ??
      (yield* positiveInt(request.max_tokens, "max_tokens"))
    const { history, plan, promptTokens } = yield* promptOf(ctx, request)
    const forcedPrefix = plan.force ? callPrefixTokens(ctx.chatWrapper, ctx.model.tokenizer) : undefined
    if (plan.force && forcedPrefix === undefined)
      return yield* Effect.fail(
        invalidRequest("This model's chat template has no function-call syntax to force a call with.", "tool_choice")
      )
    const grammar = plan.functions === undefined ? yield* ctx.grammars.forResponseFormat(request) : undefined
    // LlamaChat needs one free token past the prompt, or it would shift the context instead of generating.
    const room = ctx.contextSize - 1 - promptTokens.length
    if (room < 1) return yield* Effect.fail(contextLengthExceeded(promptTokens.length, ctx.contextSize))
    const stop = (request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop).filter(
      (s) => s !== ""
    )
    // A stop sequence can match inside the JSON (a newline between tokens, a word in a string) and cut it:
    // the answer would end "stop" with invalid JSON.
    if (grammar !== undefined && stop.length > 0)
      return yield* Effect.fail(
        invalidRequest(
          "'stop' cannot be combined with a JSON 'response_format' on this engine: it could cut the JSON.",
          "stop",
          "unsupported_parameter"
        )
      )
    const vocabulary = ctx.model.fileInfo.metadata.tokenizer.ggml.tokens.length
    const logitBias = Object.entries(request.logit_bias ?? {}).flatMap(
      ([key, value]): Array<readonly [Token, number]> => {
        const id = Number(key)
        return Number.isInteger(id) && id >= 0 && id < vocabulary ? [[id as Token, value]] : []
      }
    )
    return {
      history,
      plan,
      forcedPrefix,
      grammar,
      promptTokens,
      maxTokens: Math.min(requestedMax ?? room, room),
      temperature: request.temperature ?? DEFAULT_TEMPERATURE,
      topP: request.top_p ?? DEFAULT_TOP_P,
      topK: DEFAULT_TOP_K,
      minP: DEFAULT_MIN_P,
      seed: request.seed ?? undefined,
      stop,
      logitBias,
      presencePenalty: request.presence_penalty ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? undefined
    } satisfies Prepared
  })
