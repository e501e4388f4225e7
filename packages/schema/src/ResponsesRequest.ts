/**
 * `POST /v1/responses` request body: every field of the OpenAI reference.
 * Fields Parlance cannot honour are still decoded, so the translator can refuse them with a precise `param`.
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt } from "./internal/fields.js"
import { ReasoningEffort, TextFormat as InternalTextFormat } from "./internal/textAndReasoning.js"
import { InputItem } from "./ResponsesInput.js"
import { Tool, ToolChoice } from "./ResponsesTools.js"

/** @category schemas */
export const TextFormat = InternalTextFormat
export type TextFormat = typeof TextFormat.Type

/** @category schemas */
export const TextConfig = Schema.Struct({
  format: opt(TextFormat),
  verbosity: opt(Schema.Literals(["low", "medium", "high"]))
})
export type TextConfig = typeof TextConfig.Type

/** @category schemas */
export const ReasoningConfig = Schema.Struct({
  effort: opt(ReasoningEffort),
  /**
   * Which turns' reasoning the model reads again (Codex's Responses Lite sends `all_turns`). Every stored or
   * replayed reasoning item is already sent with its turn; whether the chat template keeps earlier turns' reasoning
   * is the template's choice.
   */
  context: opt(Schema.Literals(["auto", "current_turn", "all_turns"])),
  /** `standard` or `pro` (OpenAI's reasoning modes); accepted, and the same for a local model. */
  mode: opt(Schema.String),
  summary: opt(Schema.Literals(["auto", "concise", "detailed"])),
  /** Deprecated alias of `summary`. */
  generate_summary: opt(Schema.Literals(["auto", "concise", "detailed"]))
})
export type ReasoningConfig = typeof ReasoningConfig.Type

/** The largest `max_output_tokens` accepted (llama.cpp counts tokens in an int32); beyond the model's context it is clamped. */
export const MAX_OUTPUT_TOKENS_LIMIT = 2_147_483_647

const outputTokensMessage = `Expected an integer from 1 to ${MAX_OUTPUT_TOKENS_LIMIT}`
const MaxOutputTokens = Schema.Number.check(
  Schema.isInt({ message: outputTokensMessage }),
  Schema.isBetween({ minimum: 1, maximum: MAX_OUTPUT_TOKENS_LIMIT }, { message: outputTokensMessage })
)

/**
 * One `context_management` entry (openai 7.60 `ResponseCreateParams.ContextManagement`): `type` is a string
 * (only `compaction` is supported, as on OpenAI), `compact_threshold` the context size in tokens at which the
 * server compacts by itself.
 * @category schemas
 */
export const ContextManagement = Schema.Struct({
  type: Schema.String,
  compact_threshold: opt(Schema.Number)
})
export type ContextManagement = typeof ContextManagement.Type

/** @category schemas */
export const CreateResponseRequest = Schema.Struct({
  model: Schema.optional(Schema.String),
  input: Schema.optional(Schema.Union([Schema.String, Schema.Array(InputItem)])),
  instructions: opt(Schema.String),
  tools: opt(Schema.Array(Tool)),
  tool_choice: opt(ToolChoice),
  parallel_tool_calls: opt(Schema.Boolean),
  text: opt(TextConfig),
  reasoning: opt(ReasoningConfig),
  max_output_tokens: opt(MaxOutputTokens),
  max_tool_calls: opt(Schema.Number),
  temperature: opt(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  top_p: opt(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  presence_penalty: opt(Schema.Number.check(Schema.isBetween({ minimum: -2, maximum: 2 }))),
  frequency_penalty: opt(Schema.Number.check(Schema.isBetween({ minimum: -2, maximum: 2 }))),
  top_logprobs: opt(Schema.Number),
  stream: opt(Schema.Boolean),
  stream_options: opt(Schema.Struct({ include_obfuscation: opt(Schema.Boolean) })),
  store: opt(Schema.Boolean),
  previous_response_id: opt(Schema.String),
  /** A conversation id, or `{ id }` (`ResponseConversationParam`). */
  conversation: opt(Schema.Union([Schema.String, Schema.Struct({ id: Schema.String })])),
  metadata: opt(Schema.Record(Schema.String, Schema.String)),
  user: opt(Schema.String),
  truncation: opt(Schema.Literals(["auto", "disabled"])),
  include: opt(Schema.Array(Schema.String)),
  background: opt(Schema.Boolean),
  /** As the SDK types define it; `2h`/`8h` need `background: true` and no stream (checked by the server). */
  background_options: opt(
    Schema.Struct({
      completion_window: opt(Schema.Literals(["soonest", "2h", "8h"])),
      continuation_id: opt(Schema.String)
    })
  ),
  prompt: opt(Schema.Unknown),
  prompt_cache_key: opt(Schema.String),
  prompt_cache_retention: opt(Schema.String),
  safety_identifier: opt(Schema.String),
  service_tier: opt(Schema.String),
  context_management: opt(Schema.Array(ContextManagement)),
  /** Not in OpenAI's reference; llama-server style sampling seed, passed through. */
  seed: opt(Schema.Number)
}).annotate({ identifier: "CreateResponseRequest" })
export type CreateResponseRequest = typeof CreateResponseRequest.Type
