/**
 * A `POST /v1/responses` body → everything a generation needs: the decoded request, the conversation from
 * `previous_response_id`, the Chat Completions request, the input items with ids (as stored and listed).
 */
import type { Services } from "../http/services.js"
import type { ResponseObject } from "@parlance/schema"
import { ResponsesRequest } from "@parlance/schema"
import { Ids, type ToChatRequest, toChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as ApiError from "../../ApiError.js"
import type { ConversationStoreService } from "../../ConversationStore.js"
import type { ResponseStoreService, StoredItem } from "../../ResponseStore.js"
import { asConversationItems, checkConversationId } from "./conversationItems.js"
import { defaultInputFileOptions, type InputFileOptions, readInputFiles } from "./inputFiles.js"
import { resolveReferences } from "./itemReferences.js"
import type { Sealer } from "../generation/reasoningSeal.js"

export interface Prepared {
  readonly request: ResponsesRequest.CreateResponseRequest
  readonly plan: ToChatRequest.ChatRequestPlan
  readonly input: ReadonlyArray<StoredItem>
  readonly model: string
  /** The conversation the request named (its items were read as context; its turn is appended when it ends). */
  readonly conversation?: {
    readonly id: string
    /** This request's input as the conversation keeps it (references resolved). */
    readonly items: ReadonlyArray<StoredItem>
  }
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
    /** Where `conversation` is read from; without it a request naming one is refused. */
    readonly conversations?: ConversationStoreService
  }
): Effect.Effect<Prepared, ApiError.ApiError> =>
  Effect.gen(function* () {
    const decoded = decode(body)
    if (Result.isFailure(decoded)) return yield* Effect.fail(ApiError.fromParse(decoded.failure))
    const request = decoded.success
    if (request.stream !== true && request.stream_options != null) {
      return yield* Effect.fail(ApiError.badRequest("stream_options requires stream: true.", "stream_options"))
    }
    const background = checkBackground(request)
    if (background !== undefined) return yield* Effect.fail(background)
    const conversationId = request.conversation == null ? undefined : idOf(request.conversation)
    const fromConversation = conversationId !== undefined && options.conversations !== undefined
    const history = fromConversation
      ? yield* conversationHistory(options.conversations!, conversationId, request)
      : request.previous_response_id == null
        ? []
        : yield* conversation(store, request.previous_response_id)
    const historyFrom = fromConversation ? "conversation" : "previous_response_id"
    const byId = yield* resolveReferences(request.input, history, store)
    const fileText = yield* readInputFiles(
      itemsToRead(request.input, history, byId, historyFrom),
      options.inputFiles ?? defaultInputFileOptions
    )
    const plan = toChatRequest(request, history, {
      strictTools: options.strictTools,
      defaultModel: options.defaultModel,
      resolveItem: (id) => byId.get(id),
      fileText,
      unseal: options.sealer.unseal,
      assistantPhase: options.assistantPhase,
      compact: options.compact === true,
      historyFrom
    })
    if (Result.isFailure(plan)) return yield* Effect.fail(ApiError.fromTranslate(plan.failure))
    // Lossy but legal steps (skipped items and tools, foreign blobs): the request goes on, the operator sees why.
    for (const warning of plan.success.warnings) yield* Effect.logWarning(warning)
    // The input items with ids are for the store (and compaction's answer): made when first read, so that a
    // `store: false` request never builds them.
    let input: ReadonlyArray<StoredItem> | undefined
    const prepared: Prepared = {
      request,
      plan: plan.success,
      model: plan.success.request.model,
      get input() {
        return (input ??= withIds(request.input, options.ids))
      },
      ...(fromConversation
        ? {
            conversation: {
              id: conversationId,
              get items() {
                // A reference to an item the conversation already holds adds nothing to it.
                const present = new Set(history.map((item) => item.id))
                const fresh = prepared.input.filter((item) => item.type !== "item_reference" || !present.has(item.id))
                return asConversationItems(fresh, byId)
              }
            }
          }
        : {})
    }
    return prepared
  })

/** `background` needs the store (its state is read back); `background_options`' windows as the SDK types say. */
const checkBackground = (request: ResponsesRequest.CreateResponseRequest): ApiError.ApiError | undefined => {
  if (request.background === true && request.store === false)
    return ApiError.badRequest(
      "Background responses must be stored: background: true requires store: true (or store omitted).",
      "store"
    )
  const window = request.background_options?.completion_window
  if ((window === "2h" || window === "8h") && (request.background !== true || request.stream === true))
    return ApiError.badRequest(
      `background_options.completion_window '${window}' requires background: true and stream false or omitted.`,
      "background_options.completion_window"
    )
  return undefined
}

/** Every item translation will read (the chain, the input, what its references point at), with its param. */
const itemsToRead = (
  input: ResponsesRequest.CreateResponseRequest["input"],
  history: ReadonlyArray<ToChatRequest.HistoryItem>,
  byId: ReadonlyMap<string, ToChatRequest.HistoryItem>,
  historyFrom: string
) => [
  ...history.map((item) => ({ item, param: historyFrom })),
  ...(typeof input === "string" || input == null
    ? []
    : input.flatMap((item, i) => {
        const param = `input[${i}]`
        if (item.type !== "item_reference") return [{ item: item as ToChatRequest.HistoryItem, param }]
        const found = byId.get(item.id)
        return found === undefined ? [] : [{ item: found, param }]
      }))
]

/** `conversation` as a string or `{ id }`. */
const idOf = (conversation: NonNullable<ResponsesRequest.CreateResponseRequest["conversation"]>): string =>
  typeof conversation === "string" ? conversation : conversation.id

/**
 * The conversation's items, oldest first: the context before the request's input. As on OpenAI, it excludes
 * `previous_response_id`, and an input item already in the conversation is refused (it would be appended twice).
 */
const conversationHistory = (
  conversations: ConversationStoreService,
  id: string,
  request: ResponsesRequest.CreateResponseRequest
) =>
  Effect.gen(function* () {
    if (request.previous_response_id != null)
      return yield* Effect.fail(
        ApiError.badRequest(
          "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
          null,
          "mutually_exclusive_parameters"
        )
      )
    const invalid = checkConversationId(id, "conversation")
    if (invalid !== undefined) return yield* Effect.fail(invalid)
    const items = yield* conversations
      .items(id)
      .pipe(Effect.mapError(() => ApiError.unavailable("The response store is unavailable.", "store_unavailable")))
    if (Option.isNone(items))
      return yield* Effect.fail(
        ApiError.notFound(`Conversation with id '${id.slice(0, 100)}' not found.`, "conversation")
      )
    const present = new Set(items.value.map((item) => item.id))
    const input = typeof request.input === "string" || request.input == null ? [] : request.input
    for (const [i, item] of input.entries()) {
      if (item.type !== "item_reference" && "id" in item && typeof item.id === "string" && present.has(item.id))
        return yield* Effect.fail(
          ApiError.badRequest("Item already in conversation", `input[${i}].id`, "item_already_in_conversation")
        )
    }
    return items.value
  })

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

/**
 * `prepare` with the server's services: its store (or `store`, a WebSocket's overlay of it), its options and its
 * conversations — the one way every route prepares a request, so `conversation` works on each.
 */
export const prepareWith = (
  s: Pick<Services, "store" | "config" | "conversations">,
  body: unknown,
  options: { readonly store?: ResponseStoreService; readonly compact?: boolean } = {}
) =>
  prepare(body, options.store ?? s.store, {
    ...s.config,
    conversations: s.conversations,
    ...(options.compact === true ? { compact: true } : {})
  })
