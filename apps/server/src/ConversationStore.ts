/**
 * `ConversationStore`: where conversations and their items live (`/v1/conversations`, `conversation` on
 * `POST /v1/responses`), beside the responses in the same store (docs/architecture.md#conversations). Memory,
 * SQLite and PostgreSQL implement it; the layers of `ResponseStore` provide both services over one database.
 * @since 0.1.0
 */
import type { Conversations } from "@parlance/schema"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { StoredItem, StoreError } from "./ResponseStore.js"

/** A conversation as stored: the object OpenAI returns. @category models */
export type StoredConversation = Conversations.Conversation

/** How a page of items is asked for: OpenAI's cursor pagination (`after` an item id, `limit`, `order`). @category models */
export interface PageQuery {
  readonly after?: string | undefined
  /** 1–100 (checked by the caller). */
  readonly limit: number
  readonly order: "asc" | "desc"
}

/** @category models */
export type ListResult =
  | { readonly _tag: "Page"; readonly items: ReadonlyArray<StoredItem>; readonly hasMore: boolean }
  | { readonly _tag: "ConversationNotFound" }
  /** `after` names no item of this conversation. */
  | { readonly _tag: "CursorNotFound" }

/** @category models */
export type AppendResult =
  | { readonly _tag: "Appended" }
  | { readonly _tag: "ConversationNotFound" }
  /** An item with this id is already in the conversation (OpenAI: `item_already_in_conversation`); nothing was added. */
  | { readonly _tag: "Duplicate"; readonly itemId: string }

/**
 * The contract every implementation keeps (test/ConversationStore.test.ts runs it on all three): items keep the order they were appended
 * in, stably (a position per conversation, never reused); a page is read by cursor (`after` an item id), never by
 * offset; every call that changes a conversation is one transaction, durable when it resolves.
 * @category models
 */
export interface ConversationStoreService {
  /** A new conversation with its first items, in one transaction. Fails `Duplicate` like `append`. */
  readonly create: (
    conversation: StoredConversation,
    items: ReadonlyArray<StoredItem>
  ) => Effect.Effect<AppendResult, StoreError>
  readonly get: (id: string) => Effect.Effect<Option.Option<StoredConversation>, StoreError>
  /** Replaces the metadata; the updated conversation, or none when it does not exist. */
  readonly update: (
    id: string,
    metadata: Readonly<Record<string, string>>
  ) => Effect.Effect<Option.Option<StoredConversation>, StoreError>
  /** True when something was deleted; its items go with it. */
  readonly delete: (id: string) => Effect.Effect<boolean, StoreError>
  /** Appends items after the last one, in order; all or none. */
  readonly append: (id: string, items: ReadonlyArray<StoredItem>) => Effect.Effect<AppendResult, StoreError>
  /** Every item, oldest first: the context a response in this conversation reads. None when it does not exist. */
  readonly items: (id: string) => Effect.Effect<Option.Option<ReadonlyArray<StoredItem>>, StoreError>
  readonly list: (id: string, query: PageQuery) => Effect.Effect<ListResult, StoreError>
  readonly getItem: (id: string, itemId: string) => Effect.Effect<Option.Option<StoredItem>, StoreError>
  /** True when the item was in the conversation and is removed. */
  readonly deleteItem: (id: string, itemId: string) => Effect.Effect<boolean, StoreError>
}

/**
 * The conversations Tag: provided by `ResponseStore.layerMemory`, `layerSqlite` and `layerPostgres`, over the
 * same store as the responses.
 * @category tags
 */
export class ConversationStore extends Context.Service<ConversationStore, ConversationStoreService>()(
  "@parlance/server/ConversationStore"
) {}
