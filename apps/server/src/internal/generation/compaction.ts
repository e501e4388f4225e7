/**
 * Compaction, its one home (docs/architecture.md#compaction): the conversation (input, or
 * `previous_response_id`'s chain) summarised by the model into one sealed `compaction` item. It is the same
 * generation as a `/v1/responses` request ending in `{"type":"compaction_trigger"}` (translate's compaction
 * mode), run to its end. Two callers:
 *
 * - `POST /v1/responses/compact` answers it as OpenAI's `CompactedResponse`: the user messages, then the
 *   compaction item. Nothing is stored.
 * - `context_management: [{type: "compaction", compact_threshold}]` on `POST /v1/responses` (`autoCompact`): when
 *   the context reaches the threshold, the server compacts before generating; the compaction item opens the
 *   response's output, and the backend is asked with the compacted context — exactly what the next turn, which
 *   replays that item, asks too.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as ApiError from "../../ApiError.js"
import type { StoredItem } from "../../ResponseStore.js"
import { readJsonObject } from "../http/body.js"
import type { Services } from "../http/services.js"
import { type Prepared, prepareWith } from "../inputs/prepare.js"
import { asked } from "./completion.js"
import * as Generation from "./generation.js"

/** OpenAI's `CompactedResponse` (openai SDK `responses.compact`). */
export interface CompactedResponse {
  readonly id: string
  readonly object: "response.compaction"
  readonly created_at: number
  readonly output: ReadonlyArray<StoredItem | ResponseObject.OutputItem>
  readonly usage: ResponseObject.Usage | null
}

/** The fields of `ResponseCompactParams` that shape the summary; the rest of a create request does not apply. */
const compactFields = [
  "model",
  "input",
  "instructions",
  "previous_response_id",
  "conversation",
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier"
]

interface Summary {
  readonly prepared: Prepared
  readonly response: ResponseObject.Response
  readonly compaction: ResponseObject.Compaction
}

/** The model's summary of the conversation `body` describes, as one sealed compaction item; a 502 when it wrote none. */
const summarize = (deps: Services, body: Record<string, unknown>): Effect.Effect<Summary, ApiError.ApiError> =>
  Effect.gen(function* () {
    const fields = Object.fromEntries(Object.entries(body).filter(([key]) => compactFields.includes(key)))
    const prepared = yield* prepareWith(deps, { ...fields, stream: false, store: false }, { compact: true })
    const generation = yield* Generation.start(deps, prepared)
    const response = yield* generation.response
    if (response === undefined) return yield* Effect.fail(ApiError.internal())
    const compaction = response.output.find((item) => item.type === "compaction")
    if (response.status !== "completed" || compaction === undefined) {
      const reason =
        response.error?.message ??
        (response.status === "incomplete"
          ? "The summary was cut at the output token limit."
          : "The model wrote no summary.")
      return yield* Effect.fail(
        new ApiError.ApiError({
          status: 502,
          body: {
            error: {
              message: `Compaction failed: ${reason}`,
              type: "server_error",
              param: null,
              code: response.error?.code ?? "compaction_failed"
            }
          }
        })
      )
    }
    return { prepared, response, compaction }
  })

export const compactResponse = (deps: Services) =>
  Effect.gen(function* () {
    const { body } = yield* readJsonObject({ maxBytes: deps.config.bodyLimit, maxDepth: deps.config.maxJsonDepth })
    const { prepared, response, compaction } = yield* summarize(deps, body)
    const compacted: CompactedResponse = {
      id: response.id,
      object: "response.compaction",
      created_at: response.created_at,
      output: [...prepared.input.filter(isUserMessage), compaction],
      usage: response.usage
    }
    return HttpServerResponse.jsonUnsafe(compacted)
  })

const isUserMessage = (item: StoredItem): boolean => item.type === "message" && "role" in item && item.role === "user"

// ---------------------------------------------------------------- automatic compaction

/** The threshold the request sets: a 400 for an entry type other than `compaction`, as OpenAI. */
const thresholdOf = (prepared: Prepared): Effect.Effect<number | undefined, ApiError.ApiError> => {
  const entries = prepared.request.context_management ?? []
  let threshold: number | undefined
  for (const [i, entry] of entries.entries()) {
    if (entry.type !== "compaction")
      return Effect.fail(
        ApiError.badRequest(
          `Unsupported context_management type '${entry.type}': only 'compaction' is supported.`,
          `context_management[${i}].type`,
          "unsupported_parameter"
        )
      )
    const value = entry.compact_threshold
    if (value != null && (!Number.isInteger(value) || value < 1))
      return Effect.fail(
        ApiError.badRequest(
          "compact_threshold must be a whole number of tokens, at least 1.",
          `context_management[${i}].compact_threshold`
        )
      )
    if (value != null) threshold = Math.min(threshold ?? value, value)
  }
  return Effect.succeed(threshold)
}

/**
 * The context's size in tokens, as exactly as the backend allows: its own count of the request it would be
 * asked (`countPromptTokens`, as `/v1/responses/input_tokens` counts, where the backend can); otherwise the previous turn's context as the backend
 * reported it (`previous_response_id`'s input + output tokens: the prefix of this turn's context, the new
 * input not counted); otherwise unknown, and nothing is compacted.
 */
export const contextTokens = (deps: Services, prepared: Prepared): Effect.Effect<number | undefined> =>
  Effect.gen(function* () {
    const count = deps.backend.countPromptTokens
    if (count !== undefined) {
      // What `/v1/responses/input_tokens` counts: the request exactly as the backend would be asked.
      const counted = yield* count(asked(deps.config, prepared.plan.request)).pipe(Effect.option)
      if (Option.isSome(counted)) return counted.value
    }
    const previous = prepared.request.previous_response_id
    if (previous == null) return undefined
    const record = yield* deps.store.get(previous).pipe(Effect.option, Effect.map(Option.flatten))
    const usage = Option.isSome(record) ? record.value.response.usage : null
    return usage == null ? undefined : usage.input_tokens + usage.output_tokens
  })

/** The request's input as items, for appending the compaction item after it. */
const inputItems = (input: unknown): ReadonlyArray<unknown> =>
  typeof input === "string" ? [{ type: "message", role: "user", content: input }] : Array.isArray(input) ? input : []

/**
 * `context_management` compaction: below the threshold (or with none, or an unknown size) `prepared` as it is;
 * at or past it, the conversation compacted first, and `prepared` asking the backend with the compaction item
 * after the request's input (the stored input stays the request's own; the item is the response's first output).
 */
export const autoCompact = (
  deps: Services,
  body: Record<string, unknown>,
  prepared: Prepared
): Effect.Effect<Prepared, ApiError.ApiError> =>
  Effect.gen(function* () {
    if (prepared.plan.compaction) return prepared
    const threshold = yield* thresholdOf(prepared)
    if (threshold === undefined) return prepared
    const tokens = yield* contextTokens(deps, prepared)
    if (tokens === undefined || tokens < threshold) return prepared
    yield* Effect.logInfo(`context of ${tokens} tokens reached compact_threshold ${threshold}: compacting`)
    const { compaction } = yield* summarize(deps, body)
    const compacted = yield* prepareWith(deps, { ...body, input: [...inputItems(body.input), compaction] })
    return {
      request: prepared.request,
      plan: compacted.plan,
      model: prepared.model,
      compacted: compaction,
      get input() {
        return prepared.input
      }
    }
  })
