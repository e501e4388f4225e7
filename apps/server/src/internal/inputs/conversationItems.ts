/**
 * Items as a conversation keeps them (docs/architecture.md#conversations): typed, with ids (OpenAI's prefix per
 * type when the client chose one), `item_reference`s replaced by the items they name, messages with a `status`.
 * The same rule for items created through `/v1/conversations…` and for a response's turn appended to its
 * conversation.
 */
import type { ResponsesInput } from "@parlance/schema"
import type { Ids, ToChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as ApiError from "../../ApiError.js"
import type { ResponseStoreService, StoredItem } from "../../ResponseStore.js"
import { resolveReferences } from "./itemReferences.js"
import { withIds } from "./prepare.js"

/** A conversation id as OpenAI shapes them: `conv_…`. */
export const checkConversationId = (id: string, param: string): ApiError.ApiError | undefined =>
  id.startsWith("conv_") && id.length > 5
    ? undefined
    : ApiError.badRequest(
        `Invalid '${param}': '${id.slice(0, 100)}'. Expected an ID that begins with 'conv'.`,
        param,
        "invalid_value"
      )

// The item types whose id prefix OpenAI checks when a client supplies the id (observed: msg, fc; rs as it names them).
const checkedPrefixes: Readonly<Record<string, string>> = { message: "msg", function_call: "fc", reasoning: "rs" }

/** A client-chosen id must carry its type's prefix, as on OpenAI (`Invalid 'items[0].id'`). */
export const checkItemIds = (
  items: ReadonlyArray<ResponsesInput.InputItem>,
  param: string
): ApiError.ApiError | undefined => {
  for (const [i, item] of items.entries()) {
    const id = "id" in item ? item.id : undefined
    const prefix = checkedPrefixes[item.type ?? "message"]
    if (typeof id !== "string" || prefix === undefined || id.startsWith(`${prefix}_`)) continue
    return ApiError.badRequest(
      `Invalid '${param}[${i}].id': '${id.slice(0, 100)}'. Expected an ID that begins with '${prefix}'.`,
      `${param}[${i}].id`,
      "invalid_value"
    )
  }
  return undefined
}

/** References replaced by what they name; messages completed (OpenAI lists every message with a status). */
export const asConversationItems = (
  items: ReadonlyArray<StoredItem>,
  resolved: ReadonlyMap<string, ToChatRequest.HistoryItem>
): ReadonlyArray<StoredItem> =>
  items.map((item) => {
    const found = item.type === "item_reference" ? resolved.get(item.id) : undefined
    const next = (found !== undefined && typeof found.id === "string" ? found : item) as StoredItem
    return next.type === "message" && !("status" in next && next.status != null)
      ? ({ ...next, status: "completed" } as StoredItem)
      : next
  })

/** Items a client sends to `/v1/conversations…`, as the conversation keeps them; an unknown reference is a 404. */
export const fromRequest = (
  items: ReadonlyArray<ResponsesInput.InputItem>,
  store: ResponseStoreService,
  ids: Ids.IdGenerator,
  param = "items"
): Effect.Effect<ReadonlyArray<StoredItem>, ApiError.ApiError> =>
  Effect.gen(function* () {
    const invalid = checkItemIds(items, param)
    if (invalid !== undefined) return yield* Effect.fail(invalid)
    const resolved = yield* resolveReferences(items, [], store)
    for (const [i, item] of items.entries()) {
      if (item.type === "item_reference" && !resolved.has(item.id))
        return yield* Effect.fail(
          ApiError.notFound(`Item with id '${item.id.slice(0, 100)}' not found.`, `${param}[${i}].id`)
        )
    }
    return asConversationItems(withIds(items, ids), resolved)
  })
