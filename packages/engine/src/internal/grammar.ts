/**
 * `response_format` and tool parameter schemas → llama.cpp grammars, compiled once per distinct schema.
 * `response_format` grammars come from our own JSON Schema compiler (valid answers by construction);
 * tool parameters go to node-llama-cpp's function calling, which builds their grammar itself.
 * An unsupported schema is the caller's error (400 naming the param), never a crash.
 */
import type { BackendError } from "@parlance/schema/ChatBackend"
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { LlamaText, type GbnfJsonSchema, type Llama, type LlamaGrammar } from "node-llama-cpp"
import { errorMessage, invalidRequest } from "./errors.js"
import "./numberGrammar.js"
import { compileJsonSchema, END_MARKER, issueParam, JSON_OBJECT_GRAMMAR } from "./jsonSchemaGrammar.js"

const CACHE_LIMIT = 64

export interface GrammarCache {
  /** The grammar for `response_format` (json_object / json_schema), or `undefined` for text. */
  readonly forResponseFormat: (request: ChatCompletionRequest) => Effect.Effect<LlamaGrammar | undefined, BackendError>
  /** Fails with a 400 on `param` when node-llama-cpp cannot turn `schema` into a grammar. */
  readonly validate: (schema: GbnfJsonSchema, param: string) => Effect.Effect<void, BackendError>
}

export const makeGrammarCache = (llama: Llama): GrammarCache => {
  const cache = new Map<string, Promise<LlamaGrammar>>()
  const compile = (key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> => {
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value ?? "")
    const made = make()
    cache.set(key, made)
    made.catch(() => cache.delete(key))
    return made
  }
  const fromSchema = (schema: GbnfJsonSchema, param: string): Effect.Effect<LlamaGrammar, BackendError> =>
    Effect.tryPromise({
      try: () =>
        compile(`schema:${JSON.stringify(schema)}`, () =>
          llama.createGrammarForJsonSchema<GbnfJsonSchema, Record<string, GbnfJsonSchema>>(schema)
        ),
      catch: (cause) => invalidRequest(`Unsupported JSON schema: ${errorMessage(cause)}`, param, "invalid_json_schema")
    })
  // The value is followed by four newlines, a stop trigger that is trimmed (as node-llama-cpp's own JSON grammars do).
  const fromGbnf = (key: string, grammar: string, param: string): Effect.Effect<LlamaGrammar, BackendError> =>
    Effect.tryPromise({
      try: () =>
        compile(key, () =>
          llama.createGrammar({ grammar, stopGenerationTriggers: [LlamaText(END_MARKER)], trimWhitespaceSuffix: true })
        ),
      catch: (cause) => invalidRequest(`Unsupported JSON schema: ${errorMessage(cause)}`, param, "invalid_json_schema")
    })
  return {
    forResponseFormat: (request) => {
      const format = request.response_format
      if (format === undefined || format.type === "text") return Effect.succeed(undefined)
      if (format.type === "json_object" || format.json_schema.schema === undefined)
        return fromGbnf("json_object", JSON_OBJECT_GRAMMAR, "response_format")
      const param = "response_format.json_schema.schema"
      const schema = format.json_schema.schema
      const compiled = compileJsonSchema(schema)
      if (Result.isFailure(compiled))
        return Effect.fail(
          invalidRequest(
            `Unsupported JSON schema: ${compiled.failure.message}`,
            issueParam(param, compiled.failure),
            "invalid_json_schema"
          )
        )
      return fromGbnf(`gbnf:${compiled.success.grammar}`, compiled.success.grammar, param)
    },
    validate: (schema, param) => Effect.asVoid(fromSchema(schema, param))
  }
}
