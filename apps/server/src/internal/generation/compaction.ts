/**
 * `POST /v1/responses/compact`: the conversation (input, or `previous_response_id`'s chain) summarised by the
 * model into one sealed `compaction` item. It is the same generation as a `/v1/responses` request ending in
 * `{"type":"compaction_trigger"}` (translate's compaction mode), run to its end and answered as OpenAI's
 * `CompactedResponse`: the user messages, then the compaction item. Nothing is stored.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as ApiError from "../../ApiError.js"
import type { StoredItem } from "../../ResponseStore.js"
import { readJsonObject } from "../http/body.js"
import * as Generation from "./generation.js"
import { prepare } from "../inputs/prepare.js"
import type { Services } from "../http/services.js"

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
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier"
]

export const compactResponse = (deps: Services) =>
  Effect.gen(function* () {
    const { body } = yield* readJsonObject({ maxBytes: deps.config.bodyLimit, maxDepth: deps.config.maxJsonDepth })
    const fields = Object.fromEntries(Object.entries(body).filter(([key]) => compactFields.includes(key)))
    const prepared = yield* prepare({ ...fields, stream: false, store: false }, deps.store, {
      ...deps.config,
      compact: true
    })
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
