/**
 * A `POST /v1/responses` body → everything a generation needs: the decoded request, the conversation from
 * `previous_response_id`, the Chat Completions request, the input items with ids (as stored and listed).
 */
import type { ResponseObject } from "@parlance/schema"
import { ResponsesRequest } from "@parlance/schema"
import { Ids, type ToChatRequest, toChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as ApiError from "../../ApiError.js"
import type { ResponseStoreService, StoredItem } from "../../ResponseStore.js"
import { defaultInputFileOptions, type InputFileOptions, readInputFiles } from "./inputFiles.js"
import { resolveReferences } from "./itemReferences.js"
import type { Sealer } from "../generation/reasoningSeal.js"

export interface Prepared {
  readonly request: ResponsesRequest.CreateResponseRequest
  readonly plan: ToChatRequest.ChatRequestPlan
  readonly input: ReadonlyArray<StoredItem>
  readonly model: string
  /** Automatic compaction made this item before generating: it opens the response's output. */
  readonly compacted?: ResponseObject.Compaction
}

// Every issue, each with the value it rejected: the client reads the most specific one (`, got …`).
const decode = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest, { errors: "all", reportInput: true })

/** Items as OpenAI lists them: typed, with ids, message content as parts. */
export const withIds = (
  input: ResponsesRequest.CreateResponseRequest["input"],
  ids: Ids.IdGenerator
): ReadonlyArray<StoredItem> => {
  const items = typeof input === "string" ? [{ role: "user" as const, content: input }] : (input ?? [])
  return items.map((item) => {
    const type = item.type ?? "message"
    const id = "id" in item && typeof item.id === "string" && item.id !== "" ? item.id : ids(Ids.prefixFor(type))
    if (type === "message" && "role" in item && "content" in item && typeof item.content === "string") {
      const partType = item.role === "assistant" ? "output_text" : "input_text"
      const content = [
        partType === "output_text"
          ? { type: partType, text: item.content, annotations: [] }
          : { type: partType, text: item.content }
      ]
      return { ...item, type: "message", id, content, status: "completed" } as unknown as StoredItem
    }
    return { ...item, type, id } as StoredItem
  })
}

export const prepare = (
  body: unknown,
  store: ResponseStoreService,
  options: {
    readonly ids: Ids.IdGenerator
    readonly strictTools: boolean
    readonly defaultModel: string | undefined
    readonly inputFiles?: InputFileOptions | undefined
    readonly sealer: Sealer
    /** Send assistant messages' `phase` to the backend (an upstream that reads it). */
    readonly assistantPhase: boolean
    /** `/v1/responses/compact`: a compaction whatever the input says. */
    readonly compact?: boolean
  }
): Effect.Effect<Prepared, ApiError.ApiError> =>
  Effect.gen(function* () {
    const decoded = decode(body)
    if (Result.isFailure(decoded)) return yield* Effect.fail(ApiError.fromParse(decoded.failure))
    const request = decoded.success
    if (request.stream !== true && request.stream_options != null) {
      return yield* Effect.fail(ApiError.badRequest("stream_options requires stream: true.", "stream_options"))
    }
    const history = request.previous_response_id == null ? [] : yield* conversation(store, request.previous_response_id)
    const byId = yield* resolveReferences(request.input, history, store)
    const fileText = yield* readInputFiles(
      itemsToRead(request.input, history, byId),
      options.inputFiles ?? defaultInputFileOptions
    )
    const plan = toChatRequest(request, history, {
      strictTools: options.strictTools,
      defaultModel: options.defaultModel,
      resolveItem: (id) => byId.get(id),
      fileText,
      unseal: options.sealer.unseal,
      assistantPhase: options.assistantPhase,
      compact: options.compact === true
    })
    if (Result.isFailure(plan)) return yield* Effect.fail(ApiError.fromTranslate(plan.failure))
    // Lossy but legal steps (skipped items and tools, foreign blobs): the request goes on, the operator sees why.
    for (const warning of plan.success.warnings) yield* Effect.logWarning(warning)
    // The input items with ids are for the store (and compaction's answer): made when first read, so that a
    // `store: false` request never builds them.
    let input: ReadonlyArray<StoredItem> | undefined
    return {
      request,
      plan: plan.success,
      model: plan.success.request.model,
      get input() {
        return (input ??= withIds(request.input, options.ids))
      }
    }
  })

/** Every item translation will read (the chain, the input, what its references point at), with its param. */
const itemsToRead = (
  input: ResponsesRequest.CreateResponseRequest["input"],
  history: ReadonlyArray<ToChatRequest.HistoryItem>,
  byId: ReadonlyMap<string, ToChatRequest.HistoryItem>
) => [
  ...history.map((item) => ({ item, param: "previous_response_id" })),
  ...(typeof input === "string" || input == null
    ? []
    : input.flatMap((item, i) => {
        const param = `input[${i}]`
        if (item.type !== "item_reference") return [{ item: item as ToChatRequest.HistoryItem, param }]
        const found = byId.get(item.id)
        return found === undefined ? [] : [{ item: found, param }]
      }))
]

/** The chain's input and output items, oldest first. */
const conversation = (store: ResponseStoreService, previousId: string | undefined) =>
  Effect.gen(function* () {
    const chain: Array<ToChatRequest.HistoryItem> = []
    const seen = new Set<string>()
    let id = previousId
    while (id !== undefined && !seen.has(id)) {
      seen.add(id)
      const record = yield* store
        .get(id)
        .pipe(Effect.mapError(() => ApiError.unavailable("The response store is unavailable.", "store_unavailable")))
      if (Option.isNone(record)) {
        return yield* Effect.fail(
          ApiError.notFound(
            `Previous response with id '${id}' not found.`,
            "previous_response_id",
            "previous_response_not_found"
          )
        )
      }
      const status = record.value.response.status
      // Only a finished response can be continued (a running one has no output yet; a failed one has none to trust).
      if (id === previousId && status !== "completed" && status !== "incomplete") {
        return yield* Effect.fail(
          ApiError.badRequest(
            `Previous response with id '${id}' has status '${status}': only a completed or incomplete response can be continued.`,
            "previous_response_id",
            "previous_response_not_continuable"
          )
        )
      }
      chain.unshift(...record.value.input, ...record.value.response.output)
      id = record.value.response.previous_response_id ?? undefined
    }
    return chain
  })
