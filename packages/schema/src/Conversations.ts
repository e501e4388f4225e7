/**
 * The Conversations API's wire shapes (`/v1/conversations`, `/v1/conversations/{id}/items`), as the official
 * `openai` SDK 7.60 types them (`resources/conversations/*`), and OpenAI's limits on what a client may send.
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt } from "./internal/fields.js"
import { InputItem } from "./ResponsesInput.js"

/** How many items one create call may carry (OpenAI: "You may add up to 20 items at a time"). @category constants */
export const MAX_ITEMS_PER_CALL = 20

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512. @category constants */
export const METADATA_LIMITS = { maxKeys: 16, maxKeyLength: 64, maxValueLength: 512 } as const

/** Any string map; the limits are checked by `checkMetadata`, which names the offending key as OpenAI does. */
const Metadata = Schema.Record(Schema.String, Schema.String)

/** `POST /v1/conversations`. @category schemas */
export const CreateConversationRequest = Schema.Struct({
  items: opt(Schema.Array(InputItem)),
  metadata: opt(Metadata)
}).annotate({ identifier: "CreateConversationRequest" })
export type CreateConversationRequest = typeof CreateConversationRequest.Type

/** `POST /v1/conversations/{id}`: `metadata` is required (null clears it). @category schemas */
export const UpdateConversationRequest = Schema.Struct({
  metadata: Schema.NullOr(Metadata)
}).annotate({ identifier: "UpdateConversationRequest" })
export type UpdateConversationRequest = typeof UpdateConversationRequest.Type

/** `POST /v1/conversations/{id}/items`. @category schemas */
export const CreateItemsRequest = Schema.Struct({
  items: Schema.Array(InputItem)
}).annotate({ identifier: "CreateItemsRequest" })
export type CreateItemsRequest = typeof CreateItemsRequest.Type

/** The conversation object. @category models */
export interface Conversation {
  readonly id: string
  readonly object: "conversation"
  readonly created_at: number
  readonly metadata: Readonly<Record<string, string>>
}

/** `DELETE /v1/conversations/{id}`. @category models */
export interface ConversationDeleted {
  readonly id: string
  readonly object: "conversation.deleted"
  readonly deleted: true
}

/** A page of items (`ConversationItemList`; the ids are null on an empty page, as OpenAI sends them). @category models */
export interface ItemList<Item> {
  readonly object: "list"
  readonly data: ReadonlyArray<Item>
  readonly first_id: string | null
  readonly last_id: string | null
  readonly has_more: boolean
}

/** What a failed check names: OpenAI's message, `param` and `code`. @category models */
export interface Invalid {
  readonly message: string
  readonly param: string
  readonly code: string
}

/** OpenAI's metadata rules, with its messages and codes; undefined when `metadata` obeys them. @category utils */
export const checkMetadata = (
  metadata: Readonly<Record<string, string>> | null | undefined,
  param = "metadata"
): Invalid | undefined => {
  if (metadata == null) return undefined
  const keys = Object.keys(metadata)
  if (keys.length > METADATA_LIMITS.maxKeys)
    return {
      param,
      code: "object_above_max_properties",
      message: `Invalid '${param}': too many properties. Expected an object with at most ${METADATA_LIMITS.maxKeys} properties, but got an object with ${keys.length} properties instead.`
    }
  for (const key of keys) {
    if (key.length > METADATA_LIMITS.maxKeyLength)
      return {
        param: `${param}.${key}`,
        code: "string_above_max_length",
        message: `Invalid '${param}': key '${key.slice(0, 80)}' is too long. Expected a key with maximum length ${METADATA_LIMITS.maxKeyLength}, but got a key with length ${key.length} instead.`
      }
    const value = metadata[key]!
    if (value.length > METADATA_LIMITS.maxValueLength)
      return {
        param: `${param}.${key}`,
        code: "string_above_max_length",
        message: `Invalid '${param}.${key}': string too long. Expected a string with maximum length ${METADATA_LIMITS.maxValueLength}, but got a string with length ${value.length} instead.`
      }
  }
  return undefined
}

/** At most `MAX_ITEMS_PER_CALL` items per call, with OpenAI's message and code. @category utils */
export const checkItemCount = (items: ReadonlyArray<unknown>, param = "items"): Invalid | undefined =>
  items.length > MAX_ITEMS_PER_CALL
    ? {
        param,
        code: "array_above_max_length",
        message: `Invalid '${param}': array too long. Expected an array with maximum length ${MAX_ITEMS_PER_CALL}, but got an array with length ${items.length} instead.`
      }
    : undefined
