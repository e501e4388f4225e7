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

/** One entry of Codex's catalog: the fields its decoder requires, plus what the backend knows. */
export interface CodexModelInfo {
  readonly slug: string
  readonly display_name: string
  readonly description: string | null
  readonly supported_reasoning_levels: ReadonlyArray<{ readonly effort: string; readonly description: string }>
  readonly shell_type: "default"
  readonly visibility: "list"
  readonly supported_in_api: true
  readonly priority: number
  readonly upgrade: null
  readonly base_instructions: string
  readonly supports_reasoning_summaries: boolean
  readonly support_verbosity: false
  readonly default_verbosity: null
  readonly apply_patch_tool_type: null
  readonly truncation_policy: { readonly mode: "bytes"; readonly limit: number }
  readonly supports_parallel_tool_calls: boolean
  readonly context_window?: number
  readonly experimental_supported_tools: ReadonlyArray<string>
  readonly input_modalities?: ReadonlyArray<"text" | "image">
}

export interface Catalog {
  readonly object: "list"
  readonly data: ReadonlyArray<{
    readonly id: string
    readonly object: "model"
    readonly created: number
    readonly owned_by: string
    /** Whether the model is loaded now (a router's embedded models). */
    readonly loaded?: boolean
  }>
  readonly models: ReadonlyArray<CodexModelInfo>
}

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
    ...(m.input_modalities !== undefined ? { input_modalities: m.input_modalities } : {})
  }))
})
