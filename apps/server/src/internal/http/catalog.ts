/**
 * `GET /v1/models`: one body in both shapes its clients decode — OpenAI's `{object: "list", data: [...]}` and
 * Codex's catalog `{models: [...]}` (codex-rs `ModelsResponse` / `ModelInfo`, fetched as
 * `GET <model_catalog_url>?client_version=…`). Each decoder ignores the other's field.
 *
 * What describes the model (context window, modalities, parallel tool calls) comes from the backend and is
 * left out when the backend does not know it — never guessed. What describes Codex's own harness (shell tool
 * type, tool-output truncation, apply_patch flavour) is set to what Codex itself uses for a model it has no
 * metadata for, so Codex behaves as before except where Parlance knows better. `base_instructions` is
 * required by Codex's decoder; it is empty (Parlance has no prompt to impose) and Codex's
 * `model_instructions_file` fills it on the client.
 */
import type { ChatBackend } from "@parlance/schema"
import * as Schema from "effect/Schema"

/**
 * Whether `/v1/responses` is served over WebSocket too (Codex's `supports_websockets`). The one switch for the
 * catalog; `prefer_websockets` stays false: SSE is the transport every client speaks, and a client that wants the
 * socket can still choose it.
 */
export const supportsWebSockets = true

/** One entry of Codex's catalog: the fields its decoder requires, plus what the backend knows. */
export const CodexModelInfo = Schema.Struct({
  slug: Schema.String,
  display_name: Schema.String,
  description: Schema.NullOr(Schema.String),
  supported_reasoning_levels: Schema.Array(Schema.Struct({ effort: Schema.String, description: Schema.String })),
  shell_type: Schema.Literal("default"),
  visibility: Schema.Literal("list"),
  supported_in_api: Schema.Literal(true),
  priority: Schema.Number,
  upgrade: Schema.Null,
  base_instructions: Schema.String,
  supports_reasoning_summaries: Schema.Boolean,
  support_verbosity: Schema.Literal(false),
  default_verbosity: Schema.Null,
  apply_patch_tool_type: Schema.Null,
  truncation_policy: Schema.Struct({ mode: Schema.Literal("bytes"), limit: Schema.Number }),
  supports_parallel_tool_calls: Schema.Boolean,
  context_window: Schema.optionalKey(Schema.Number),
  experimental_supported_tools: Schema.Array(Schema.String),
  input_modalities: Schema.optionalKey(Schema.Array(Schema.Literals(["text", "image"]))),
  /**
   * Codex's Responses Lite (tools and base instructions as input items, no parallel tool calls). Parlance serves
   * both shapes alike, and the classic one keeps parallel tool calls where the backend has them: false.
   */
  use_responses_lite: Schema.Literal(false),
  supports_websockets: Schema.Boolean,
  prefer_websockets: Schema.Literal(false)
}).annotate({ identifier: "CodexModelInfo" })
export type CodexModelInfo = typeof CodexModelInfo.Type

/** `GET /v1/models`: OpenAI's model list and Codex's catalog in one body. */
export const Catalog = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      object: Schema.Literal("model"),
      created: Schema.Number,
      owned_by: Schema.String,
      /** Whether the model is loaded now (a router's embedded models). */
      loaded: Schema.optionalKey(Schema.Boolean)
    })
  ),
  models: Schema.Array(CodexModelInfo)
}).annotate({ identifier: "ModelList" })
export type Catalog = typeof Catalog.Type

/** Codex's tool-output truncation for a model without metadata (10 000 bytes). */
const codexDefaultTruncation = { mode: "bytes", limit: 10_000 } as const

export const catalog = (models: ReadonlyArray<ChatBackend.ModelInfo>, backendKind: string): Catalog => ({
  object: "list",
  data: models.map((m) => ({
    id: m.id,
    object: "model",
    created: m.created,
    owned_by: m.owned_by,
    ...(m.loaded !== undefined ? { loaded: m.loaded } : {})
  })),
  models: models.map((m, priority) => ({
    slug: m.id,
    display_name: m.id,
    description: `Served by Parlance (${backendKind === "engine" ? "embedded engine" : `${backendKind}, owned by ${m.owned_by}`}).`,
    supported_reasoning_levels: [],
    shell_type: "default",
    visibility: "list",
    supported_in_api: true,
    priority,
    upgrade: null,
    base_instructions: "",
    supports_reasoning_summaries: false,
    support_verbosity: false,
    default_verbosity: null,
    apply_patch_tool_type: null,
    truncation_policy: codexDefaultTruncation,
    supports_parallel_tool_calls: m.parallel_tool_calls ?? false,
    ...(m.context_window !== undefined && m.context_window > 0 ? { context_window: m.context_window } : {}),
    experimental_supported_tools: [],
    ...(m.input_modalities !== undefined ? { input_modalities: m.input_modalities } : {}),
    use_responses_lite: false,
    supports_websockets: supportsWebSockets,
    prefer_websockets: false
  }))
})
