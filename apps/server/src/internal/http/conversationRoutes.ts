/**
 * `/v1/conversations` and `/v1/conversations/{id}/items` (docs/architecture.md#conversations): shapes, defaults,
 * limits and errors as the openai SDK 7.60 types and OpenAI's answers define them. Each handler returns an
 * HttpServerResponse or fails with an ApiError (rendered at the edge).
 */
import { Conversations } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as ApiError from "../../ApiError.js"
import type { AppendResult, PageQuery, StoredConversation } from "../../ConversationStore.js"
import type { StoredItem } from "../../ResponseStore.js"
import { checkConversationId, fromRequest } from "../inputs/conversationItems.js"
import { readJsonObject } from "./body.js"
import type { Services } from "./services.js"

const storeDown = () => ApiError.unavailable("The response store is unavailable.", "store_unavailable")

const notFound = (id: string) =>
  ApiError.notFound(`Conversation with id '${id.slice(0, 100)}' not found.`, "conversation_id")

const itemNotFound = (itemId: string) =>
  ApiError.notFound(`Item with id '${itemId.slice(0, 100)}' not found.`, "item_id")

const fromInvalid = (invalid: Conversations.Invalid | undefined) =>
  invalid === undefined ? Effect.void : Effect.fail(ApiError.badRequest(invalid.message, invalid.param, invalid.code))

const decoder =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  (body: unknown): Effect.Effect<S["Type"], ApiError.ApiError> => {
    const decoded = Schema.decodeUnknownResult(schema, { errors: "all", reportInput: true })(body)
    return Result.isFailure(decoded)
      ? Effect.fail(ApiError.fromParse(decoded.failure))
      : Effect.succeed(decoded.success)
  }
const decodeCreate = decoder(Conversations.CreateConversationRequest)
const decodeUpdate = decoder(Conversations.UpdateConversationRequest)
const decodeItems = decoder(Conversations.CreateItemsRequest)

/** The path's conversation id, checked for OpenAI's shape (`conv_…`). */
const conversationId = Effect.flatMap(HttpRouter.params, (p) => {
  const id = p.id ?? ""
  const invalid = checkConversationId(id, "conversation_id")
  return invalid === undefined ? Effect.succeed(id) : Effect.fail(invalid)
})
const itemId = Effect.map(HttpRouter.params, (p) => p.item_id ?? "")

const body = (deps: Services, options?: { readonly emptyIsObject?: boolean }) =>
  Effect.map(
    readJsonObject({ maxBytes: deps.config.bodyLimit, maxDepth: deps.config.maxJsonDepth }, options),
    (read) => read.body
  )

const load = (deps: Services, id: string) =>
  deps.conversations
    .get(id)
    .pipe(
      Effect.mapError(storeDown),
      Effect.flatMap(Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed }))
    )

/** A list as OpenAI sends one (`ConversationItemList`): the ids are null on an empty page. */
const list = (items: ReadonlyArray<StoredItem>, hasMore: boolean): Conversations.ItemList<StoredItem> => ({
  object: "list",
  data: items,
  first_id: items[0]?.id ?? null,
  last_id: items[items.length - 1]?.id ?? null,
  has_more: hasMore
})

/** What an append answered, as the client reads it. */
const appended = (id: string, result: AppendResult): Effect.Effect<void, ApiError.ApiError> =>
  result._tag === "Appended"
    ? Effect.void
    : result._tag === "ConversationNotFound"
      ? Effect.fail(notFound(id))
      : Effect.fail(ApiError.badRequest("Item already in conversation", "items", "item_already_in_conversation"))

export const createConversation = (deps: Services) =>
  Effect.gen(function* () {
    const request = yield* Effect.flatMap(body(deps, { emptyIsObject: true }), decodeCreate)
    const requested = request.items ?? []
    yield* fromInvalid(Conversations.checkItemCount(requested))
    yield* fromInvalid(Conversations.checkMetadata(request.metadata))
    const items = yield* fromRequest(requested, deps.store, deps.config.ids)
    const conversation: StoredConversation = {
      id: deps.config.ids("conv"),
      object: "conversation",
      created_at: Math.floor(deps.now() / 1000),
      metadata: request.metadata ?? {}
    }
    const result = yield* deps.conversations.create(conversation, items).pipe(Effect.mapError(storeDown))
    yield* appended(conversation.id, result)
    return HttpServerResponse.jsonUnsafe(conversation)
  })

export const getConversation = (deps: Services) =>
  Effect.flatMap(conversationId, (id) => Effect.map(load(deps, id), HttpServerResponse.jsonUnsafe))

export const updateConversation = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const request = yield* Effect.flatMap(body(deps), decodeUpdate)
    yield* fromInvalid(Conversations.checkMetadata(request.metadata))
    const updated = yield* deps.conversations.update(id, request.metadata ?? {}).pipe(Effect.mapError(storeDown))
    if (Option.isNone(updated)) return yield* Effect.fail(notFound(id))
    return HttpServerResponse.jsonUnsafe(updated.value)
  })

export const deleteConversation = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const deleted = yield* deps.conversations.delete(id).pipe(Effect.mapError(storeDown))
    if (!deleted) return yield* Effect.fail(notFound(id))
    const answer: Conversations.ConversationDeleted = { id, object: "conversation.deleted", deleted: true }
    return HttpServerResponse.jsonUnsafe(answer)
  })

/** `after`, `limit` (1–100, default 20), `order` (default `desc`); `include` is accepted (nothing to add here). */
const pageQuery = (query: URLSearchParams): PageQuery | ApiError.ApiError => {
  const order = query.get("order") ?? "desc"
  if (order !== "asc" && order !== "desc")
    return ApiError.badRequest(
      `Invalid 'order': '${order.slice(0, 50)}'. Expected one of 'asc' or 'desc'.`,
      "order",
      "invalid_value"
    )
  const raw = query.get("limit")
  const limit = raw === null ? 20 : Number(raw)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return ApiError.badRequest("limit must be an integer between 1 and 100.", "limit", "invalid_value")
  const after = query.get("after") ?? undefined
  return { after: after === "" ? undefined : after, limit, order }
}

export const listItems = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = pageQuery(new URL(request.url, "http://x").searchParams)
    if (query instanceof ApiError.ApiError) return yield* Effect.fail(query)
    const result = yield* deps.conversations.list(id, query).pipe(Effect.mapError(storeDown))
    switch (result._tag) {
      case "ConversationNotFound":
        return yield* Effect.fail(notFound(id))
      case "CursorNotFound":
        // As OpenAI answers a cursor that names no item (a deleted one, say): 404 naming `after`.
        return yield* Effect.fail(
          ApiError.notFound(`No item found with id '${query.after!.slice(0, 100)}'`, "after", null)
        )
      case "Page":
        return HttpServerResponse.jsonUnsafe(list(result.items, result.hasMore))
    }
  })

export const createItems = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const request = yield* Effect.flatMap(body(deps), decodeItems)
    yield* fromInvalid(Conversations.checkItemCount(request.items))
    const items = yield* fromRequest(request.items, deps.store, deps.config.ids)
    const result = yield* deps.conversations.append(id, items).pipe(Effect.mapError(storeDown))
    yield* appended(id, result)
    return HttpServerResponse.jsonUnsafe(list(items, false))
  })

export const getItem = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const wanted = yield* itemId
    const item = yield* deps.conversations.getItem(id, wanted).pipe(Effect.mapError(storeDown))
    if (Option.isSome(item)) return HttpServerResponse.jsonUnsafe(item.value)
    // Say which of the two is missing.
    yield* load(deps, id)
    return yield* Effect.fail(itemNotFound(wanted))
  })

/** Removes the item; answers the conversation, as OpenAI does. */
export const deleteItem = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* conversationId
    const wanted = yield* itemId
    const deleted = yield* deps.conversations.deleteItem(id, wanted).pipe(Effect.mapError(storeDown))
    const conversation = yield* load(deps, id)
    if (!deleted) return yield* Effect.fail(itemNotFound(wanted))
    return HttpServerResponse.jsonUnsafe(conversation)
  })
