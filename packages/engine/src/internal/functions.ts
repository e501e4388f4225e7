/**
 * `tools` / `tool_choice` / `parallel_tool_calls` → node-llama-cpp functions (without handlers, so generation
 * stops with `stopReason: "functionCalls"`), plus the token bias that forces a call for `required` / named
 * choices: it pushes the chat wrapper's call prefix token by token, after which node-llama-cpp's grammar
 * constrains the function name and the JSON arguments.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import * as Result from "effect/Result"
import {
  LlamaText,
  TokenBias,
  type ChatModelFunctions,
  type ChatWrapper,
  type GbnfJsonSchema,
  type Token,
  type Tokenizer
} from "node-llama-cpp"
import { invalidRequest } from "./errors.js"

export interface FunctionsPlan {
  /** `undefined`: no function calling for this request. */
  readonly functions: ChatModelFunctions | undefined
  /** Whether the first generated tokens must be a call. */
  readonly force: boolean
  readonly maxParallelFunctionCalls: number | undefined
  /** `tools[i].function.parameters` schemas to validate, with their param paths. */
  readonly schemas: ReadonlyArray<readonly [string, GbnfJsonSchema]>
}

const none: FunctionsPlan = { functions: undefined, force: false, maxParallelFunctionCalls: undefined, schemas: [] }

/**
 * The decoding boundary: a caller's JSON Schema is handed to node-llama-cpp's GBNF converter, with a lone
 * `anyOf` spelled `oneOf` — node-llama-cpp knows only `oneOf`, and both its grammar and its validation treat
 * it as "any branch" (an `anyOf` it would turn into a grammar for `null` alone).
 */
export const asGbnfSchema = (schema: Readonly<Record<string, unknown>>): GbnfJsonSchema =>
  anyOfAsOneOf(schema) as GbnfJsonSchema

const SCHEMA_MAPS = new Set(["properties", "$defs", "definitions", "patternProperties"])
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"])
const SCHEMAS = new Set(["items", "additionalProperties", "not", "if", "then", "else", "contains"])
// node-llama-cpp's `oneOf` wins over these siblings: an `anyOf` next to them stays (and is ignored, as before).
const BESIDE_ANY_OF = ["oneOf", "type", "properties", "items", "prefixItems", "enum", "const", "$ref"]

/** Walks schema positions only: a property named `anyOf`, or an `enum` value, stays as it is. */
const anyOfAsOneOf = (schema: unknown): unknown => {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return schema
  const lowerAll = (list: unknown) => (Array.isArray(list) ? list.map(anyOfAsOneOf) : anyOfAsOneOf(list))
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    const name = key === "anyOf" && BESIDE_ANY_OF.every((k) => !(k in schema)) ? "oneOf" : key
    if (SCHEMA_MAPS.has(key) && typeof value === "object" && value !== null)
      out[name] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, anyOfAsOneOf(v)]))
    else if (SCHEMA_LISTS.has(key) || SCHEMAS.has(key)) out[name] = lowerAll(value)
    else out[name] = value
  }
  return out
}

/**
 * A tool's top-level parameters without the optional properties: node-llama-cpp's call grammar makes every
 * listed property mandatory, so a model would be forced to fill each optional one (Codex's `exec_command`:
 * a `workdir`, a `shell`, `sandbox_permissions` it is told never to send). The model sees and fills the
 * required ones only; what it sends stays valid for the original schema.
 */
export const requiredOnly = (schema: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const properties = schema.properties
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return schema
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : []
  )
  const kept = Object.entries(properties).filter(([key]) => required.has(key))
  if (kept.length === Object.keys(properties).length) return schema
  return { ...schema, properties: Object.fromEntries(kept) }
}

export const planFunctions = (request: ChatCompletionRequest): Result.Result<FunctionsPlan, BackendError> => {
  const tools = request.tools ?? []
  const choice = request.tool_choice ?? "auto"
  if (tools.length === 0) {
    if (choice === "required" || typeof choice === "object")
      return Result.fail(invalidRequest("'tool_choice' requires 'tools' to be set.", "tool_choice"))
    return Result.succeed(none)
  }
  if (choice === "none") return Result.succeed(none)
  const seen = new Set<string>()
  for (let i = 0; i < tools.length; i++) {
    const name = tools[i].function.name
    if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(name))
      return Result.fail(
        invalidRequest(
          `Invalid function name '${name}': use a-z, A-Z, 0-9, '_', '.', '-' (at most 64).`,
          `tools[${i}].function.name`
        )
      )
    if (seen.has(name))
      return Result.fail(invalidRequest(`Duplicate function name '${name}'.`, `tools[${i}].function.name`))
    seen.add(name)
  }
  let selected = tools.map((tool, i) => [tool, i] as const)
  if (typeof choice === "object") {
    selected = selected.filter(([tool]) => tool.function.name === choice.function.name)
    if (selected.length === 0)
      return Result.fail(
        invalidRequest(`Tool choice '${choice.function.name}' is not one of the provided tools.`, "tool_choice")
      )
  }
  const functions: Record<string, ChatModelFunctions[string]> = {}
  const schemas: Array<readonly [string, GbnfJsonSchema]> = []
  for (const [tool, i] of selected) {
    const parameters = tool.function.parameters
    const params =
      parameters === undefined || Object.keys(parameters).length === 0
        ? undefined
        : asGbnfSchema(requiredOnly(parameters))
    if (params !== undefined) schemas.push([`tools[${i}].function.parameters`, params])
    functions[tool.function.name] = {
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      ...(params === undefined ? {} : { params })
    }
  }
  return Result.succeed({
    functions,
    force: choice === "required" || typeof choice === "object",
    maxParallelFunctionCalls: request.parallel_tool_calls === false ? 1 : undefined,
    schemas
  })
}

/** The tokens of the wrapper's function call prefix (e.g. `<tool_call>\n{"name": "`), or `undefined`. */
export const callPrefixTokens = (chatWrapper: ChatWrapper, tokenizer: Tokenizer): ReadonlyArray<Token> | undefined => {
  const prefix = chatWrapper.settings.functions.call.prefix
  const tokens = LlamaText(prefix).tokenize(tokenizer)
  return tokens.length === 0 ? undefined : tokens
}

/**
 * A `tokenBias` function for `LlamaChat.generateResponse`; node-llama-cpp calls it once per sampling step.
 * While `forced` has tokens left it pushes the next one; `logitBias` (the request's `logit_bias`, token id →
 * bias) applies on every step.
 */
export const makeTokenBias = (
  tokenizer: Tokenizer,
  forced: ReadonlyArray<Token> | undefined,
  logitBias: ReadonlyArray<readonly [Token, number]>
): (() => TokenBias) => {
  let step = 0
  return () => {
    const bias = new TokenBias(tokenizer)
    for (const [token, value] of logitBias) bias.set(token, value <= -100 ? "never" : { logit: value })
    const s = step++
    if (forced !== undefined && s < forced.length) bias.set(forced[s], { logit: 1000 })
    return bias
  }
}
