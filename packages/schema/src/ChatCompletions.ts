/**
 * The Chat Completions wire format (`/v1/chat/completions`): requests, responses, stream chunks.
 *
 * Ingress-tolerant: fields that servers in the wild omit or send as `null` are `optional(NullOr(...))`;
 * unknown fields are ignored (Effect Schema's default), as OpenAI does.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, Json } from "./internal/fields.js"

// ---------------------------------------------------------------- request

/** @category schemas */
export const ChatTextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })
/** @category schemas */
export const ChatImagePart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({ url: Schema.String, detail: opt(Schema.String) })
})
/** @category schemas */
export const ChatAudioPart = Schema.Struct({
  type: Schema.Literal("input_audio"),
  input_audio: Schema.Struct({ data: Schema.String, format: Schema.String })
})
/** @category schemas */
export const ChatFilePart = Schema.Struct({
  type: Schema.Literal("file"),
  file: Schema.Struct({ file_data: opt(Schema.String), file_id: opt(Schema.String), filename: opt(Schema.String) })
})
/** @category schemas */
export const ChatRefusalPart = Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String })
/** @category schemas */
export const ChatContentPart = Schema.Union([ChatTextPart, ChatImagePart, ChatAudioPart, ChatFilePart, ChatRefusalPart])
export type ChatContentPart = typeof ChatContentPart.Type

/** @category schemas */
export const ChatToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})
export type ChatToolCall = typeof ChatToolCall.Type

/**
 * What a function call's streamed arguments lack when the model produced none (a function without
 * parameters: llama-server and node-llama-cpp stream nothing at all): `"{}"`, so that every call's arguments
 * parse as a JSON object; otherwise nothing. The one home of this rule, for the engine's chunks and the
 * sequencer's events alike.
 * @category rules
 */
export const missingArguments = (streamed: string): string => (streamed.trim() === "" ? "{}" : "")

/** @category schemas */
export const ChatSystemMessage = Schema.Struct({
  role: Schema.Literals(["system", "developer"]),
  content: Schema.Union([Schema.String, Schema.Array(ChatContentPart)]),
  name: Schema.optional(Schema.String)
})
/** @category schemas */
export const ChatUserMessage = Schema.Struct({
  role: Schema.Literal("user"),
  content: Schema.Union([Schema.String, Schema.Array(ChatContentPart)]),
  name: Schema.optional(Schema.String)
})
/** @category schemas */
export const ChatAssistantMessage = Schema.Struct({
  role: Schema.Literal("assistant"),
  content: opt(Schema.Union([Schema.String, Schema.Array(ChatContentPart)])),
  /** llama-server / DeepSeek convention for the model's thinking; vLLM / Ollama call it `reasoning`. */
  reasoning_content: opt(Schema.String),
  refusal: opt(Schema.String),
  tool_calls: opt(Schema.Array(ChatToolCall)),
  name: Schema.optional(Schema.String),
  /** The Responses `phase`, for upstreams that read it (sent only when the server is told they do). */
  phase: Schema.optional(Schema.Literals(["commentary", "final_answer"]))
})
/** @category schemas */
export const ChatToolMessage = Schema.Struct({
  role: Schema.Literal("tool"),
  tool_call_id: Schema.String,
  content: Schema.Union([Schema.String, Schema.Array(ChatContentPart)])
})
/** @category schemas */
export const ChatMessage = Schema.Union([ChatSystemMessage, ChatUserMessage, ChatAssistantMessage, ChatToolMessage])
export type ChatMessage = typeof ChatMessage.Type

/** @category schemas */
export const ChatFunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String,
    description: Schema.optional(Schema.String),
    parameters: Schema.optional(Json),
    strict: opt(Schema.Boolean)
  })
})
export type ChatFunctionTool = typeof ChatFunctionTool.Type

/** @category schemas */
export const ChatToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) })
])
export type ChatToolChoice = typeof ChatToolChoice.Type

/** @category schemas */
export const ChatResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      name: Schema.String,
      description: Schema.optional(Schema.String),
      schema: Schema.optional(Json),
      strict: opt(Schema.Boolean)
    })
  })
])
export type ChatResponseFormat = typeof ChatResponseFormat.Type

/** @category schemas */
export const ChatCompletionRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(ChatMessage),
  tools: Schema.optional(Schema.Array(ChatFunctionTool)),
  tool_choice: Schema.optional(ChatToolChoice),
  parallel_tool_calls: Schema.optional(Schema.Boolean),
  response_format: Schema.optional(ChatResponseFormat),
  stream: opt(Schema.Boolean),
  stream_options: opt(Schema.Struct({ include_usage: Schema.optional(Schema.Boolean) })),
  max_tokens: opt(Schema.Number),
  max_completion_tokens: opt(Schema.Number),
  temperature: opt(Schema.Number),
  top_p: opt(Schema.Number),
  n: opt(Schema.Number),
  stop: opt(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  seed: opt(Schema.Number),
  presence_penalty: opt(Schema.Number),
  frequency_penalty: opt(Schema.Number),
  logit_bias: opt(Schema.Record(Schema.String, Schema.Number)),
  logprobs: opt(Schema.Boolean),
  top_logprobs: opt(Schema.Number),
  user: opt(Schema.String),
  reasoning_effort: opt(Schema.String),
  metadata: opt(Schema.Record(Schema.String, Schema.String)),
  store: opt(Schema.Boolean),
  service_tier: opt(Schema.String)
}).annotate({ identifier: "ChatCompletionRequest" })
export type ChatCompletionRequest = typeof ChatCompletionRequest.Type

// ---------------------------------------------------------------- usage

/** @category schemas */
export const ChatUsage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.Number,
  prompt_tokens_details: opt(
    Schema.Struct({ cached_tokens: opt(Schema.Number), cache_write_tokens: opt(Schema.Number) })
  ),
  completion_tokens_details: opt(Schema.Struct({ reasoning_tokens: opt(Schema.Number) }))
})
export type ChatUsage = typeof ChatUsage.Type

// ---------------------------------------------------------------- response

/** @category schemas */
export const ChatFinishReason = Schema.Literals(["stop", "length", "tool_calls", "content_filter", "function_call"])
export type ChatFinishReason = typeof ChatFinishReason.Type

/** @category schemas */
export const ChatCompletion = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("chat.completion"),
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.Array(
    Schema.Struct({
      index: Schema.Number,
      message: Schema.Struct({
        role: Schema.Literal("assistant"),
        content: Schema.NullOr(Schema.String),
        /** vLLM sends `null` when no reasoning parser ran; Ollama names it `reasoning`. */
        reasoning_content: opt(Schema.String),
        reasoning: opt(Schema.String),
        refusal: opt(Schema.String),
        /** vLLM sends `[]`, some servers `null`, when there are none. */
        tool_calls: opt(Schema.Array(ChatToolCall))
      }),
      finish_reason: Schema.NullOr(ChatFinishReason),
      logprobs: opt(Schema.Unknown)
    })
  ),
  usage: Schema.optional(ChatUsage),
  system_fingerprint: opt(Schema.String)
}).annotate({ identifier: "ChatCompletion" })
export type ChatCompletion = typeof ChatCompletion.Type

// ---------------------------------------------------------------- stream chunk

/** @category schemas */
export const ChatToolCallDelta = Schema.Struct({
  index: Schema.Number,
  id: opt(Schema.String),
  type: opt(Schema.String),
  function: opt(Schema.Struct({ name: opt(Schema.String), arguments: opt(Schema.String) }))
})
export type ChatToolCallDelta = typeof ChatToolCallDelta.Type

/** @category schemas */
export const ChatDelta = Schema.Struct({
  role: opt(Schema.String),
  content: opt(Schema.String),
  /** llama-server, DeepSeek, SGLang. */
  reasoning_content: opt(Schema.String),
  /** vLLM ≥ 0.10, Ollama, OpenRouter. */
  reasoning: opt(Schema.String),
  refusal: opt(Schema.String),
  tool_calls: opt(Schema.Array(ChatToolCallDelta))
})
export type ChatDelta = typeof ChatDelta.Type

/** @category schemas */
export const ChatChunkChoice = Schema.Struct({
  index: Schema.Number,
  delta: ChatDelta,
  finish_reason: opt(Schema.String),
  logprobs: opt(Schema.Unknown)
})
export type ChatChunkChoice = typeof ChatChunkChoice.Type

/**
 * One `chat.completion.chunk`, the pivot type (docs/architecture.md#overview). A usage-only chunk has `choices: []`.
 * @category schemas
 */
export const ChatCompletionChunk = Schema.Struct({
  id: Schema.String,
  object: Schema.optional(Schema.String),
  created: Schema.optional(Schema.Number),
  model: Schema.optional(Schema.String),
  system_fingerprint: opt(Schema.String),
  choices: Schema.Array(ChatChunkChoice),
  usage: opt(ChatUsage)
}).annotate({ identifier: "ChatCompletionChunk" })
export type ChatCompletionChunk = typeof ChatCompletionChunk.Type
