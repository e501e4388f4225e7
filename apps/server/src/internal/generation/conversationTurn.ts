/**
 * A response's turn appended to its conversation (docs/architecture.md#conversations): the request's input items,
 * then the response's output items, once the response ended `completed` or `incomplete` — the statuses a turn can
 * be continued from. A `failed` or `cancelled` response adds nothing (its output is not a turn to build on), and
 * `store: false` adds nothing (nothing is kept; the conversation is still read as context).
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import type { ConversationStoreService } from "../../ConversationStore.js"
import type { StoredItem, StoreError } from "../../ResponseStore.js"

export const appendTurn =
  (conversations: ConversationStoreService, id: string, input: () => ReadonlyArray<StoredItem>) =>
  (response: ResponseObject.Response): Effect.Effect<void, StoreError> => {
    if (response.status !== "completed" && response.status !== "incomplete") return Effect.void
    const items = [...input(), ...(response.output as ReadonlyArray<StoredItem>)]
    return Effect.flatMap(conversations.append(id, items), (result) =>
      result._tag === "Appended"
        ? Effect.void
        : // Deleted meanwhile, or a concurrent request appended the same item first: the response stands.
          Effect.logWarning(
            result._tag === "ConversationNotFound"
              ? `response ${response.id}: conversation ${id} was deleted; its turn was not appended`
              : `response ${response.id}: item ${result.itemId} is already in conversation ${id}; its turn was not appended`
          )
    )
  }
