/**
 * `POST /v1/responses/input_tokens` (docs/architecture.md#input-token-counts): the exact number of prompt tokens a
 * `POST /v1/responses` with this body would use. The body goes through the same `prepare` as a create (stored
 * history, item references, input files, tools, instructions, text format) to the same Chat Completions request
 * a backend would be asked (`asked`), and the backend counts it with its own tokenizer; a backend that cannot
 * count exactly answers 501 `not_supported`, never an estimate.
 *
 * Fields: OpenAI counts "the same payload you would send to responses.create", so a create's fields are
 * decoded and checked as on a create (and change no count); `personality`, which only this route's type
 * names, is checked against its documented limit (at most 64 characters) and, like a create's unknown
 * fields, changes nothing: no local model has style presets.
 */
import { ResponsesParam } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as ApiError from "../../ApiError.js"
import { asked } from "../generation/completion.js"
import { prepareWith } from "../inputs/prepare.js"
import { readJsonObject } from "./body.js"
import type { Services } from "./services.js"

const personalityLimit = 64

/** An input_tokens-only field, checked as its type documents it. */
const checkPersonality = (body: Record<string, unknown>): ApiError.ApiError | undefined => {
  const value = body.personality
  if (value === undefined) return undefined
  if (typeof value !== "string")
    return ApiError.badRequest(
      `Invalid type for 'personality': expected a string, got ${value === null ? "null" : typeof value}.`,
      "personality",
      "invalid_type"
    )
  return value.length > personalityLimit
    ? ApiError.badRequest(
        `Invalid 'personality': at most ${personalityLimit} characters, got ${value.length}.`,
        "personality",
        "string_above_max_length"
      )
    : undefined
}

export const countInputTokens = (deps: Services) =>
  Effect.gen(function* () {
    const { body } = yield* readJsonObject({ maxBytes: deps.config.bodyLimit, maxDepth: deps.config.maxJsonDepth })
    const invalid = checkPersonality(body)
    if (invalid !== undefined) return yield* Effect.fail(invalid)
    const prepared = yield* prepareWith(deps, body)
    const count = deps.backend.countPromptTokens
    if (count === undefined)
      return yield* Effect.fail(
        ApiError.notSupported(`Input token counts are not supported by this server's ${deps.backend.kind} backend.`)
      )
    const tokens = yield* count(asked(deps.config, prepared.plan.request)).pipe(
      Effect.mapError((error) => ApiError.fromBackend(error, ResponsesParam.fromChat))
    )
    return HttpServerResponse.jsonUnsafe({ object: "response.input_tokens", input_tokens: tokens })
  })
