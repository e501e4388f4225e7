/**
 * `item_reference` → the stored item, looked up before translation (which stays pure and synchronous).
 * As on OpenAI, a reference resolves against every stored response's input and output, not only the
 * `previous_response_id` chain: the Vercel AI SDK's multi-step `streamText` replays earlier items as bare
 * references. A `store: false` response left nothing behind, so its items are not found: a 400 that says so.
 */
import type { ResponsesRequest } from "@parlance/schema"
import type { ToChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ApiError from "../../ApiError.js"
import type { ResponseStoreService } from "../../ResponseStore.js"

type Item = ToChatRequest.HistoryItem

/** References inside references are followed this deep (translation refuses a deeper chain). */
const maxDepth = 4

const referenceId = (item: Item): string | undefined =>
  item.type === "item_reference" && typeof item.id === "string" ? item.id : undefined

/** Every reference in `input`, resolved from `chain` first, then from the whole store. */
export const resolveReferences = (
  input: ResponsesRequest.CreateResponseRequest["input"],
  chain: ReadonlyArray<Item>,
  store: ResponseStoreService
): Effect.Effect<ReadonlyMap<string, Item>, ApiError.ApiError> => {
  const references =
    typeof input === "string" || input === undefined || input === null
      ? []
      : input.flatMap((item) => referenceId(item as Item) ?? [])
  // Most requests reference nothing: no lookups, no index of the chain.
  if (references.length === 0) return Effect.succeed(new Map())
  return Effect.gen(function* () {
    const found = new Map<string, Item>()
    for (const item of chain) if ("id" in item && typeof item.id === "string") found.set(item.id, item)
    let wanted = references
    for (let depth = 0; depth < maxDepth && wanted.length > 0; depth++) {
      const next: Array<string> = []
      for (const id of wanted) {
        let item = found.get(id)
        if (item === undefined) {
          const stored = yield* store
            .getItem(id)
            .pipe(
              Effect.mapError(() => ApiError.unavailable("The response store is unavailable.", "store_unavailable"))
            )
          if (Option.isNone(stored)) continue // translation answers item_not_found, naming the input index
          item = stored.value
          found.set(id, item)
        }
        const inner = referenceId(item)
        if (inner !== undefined && !found.has(inner)) next.push(inner)
      }
      wanted = next
    }
    return found
  })
}
