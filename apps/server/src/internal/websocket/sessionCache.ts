/**
 * The connection-local state of WebSocket mode (docs/architecture.md#websocket-mode): as on OpenAI, a
 * `store: false` response can be continued with `previous_response_id` on the socket that made it — and only
 * there (a new socket answers `previous_response_not_found`, as over HTTP). A continuation that fails evicts the
 * response it named, so a client never builds on state the failure may have left stale.
 *
 * Each entry holds its whole chain flattened (the cached ancestors' items before its own input), so that
 * forgetting the oldest entries (past `max`) never breaks a chain that is still held.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { itemsOf, type ResponseStoreService, type StoredItem, type StoredResponse } from "../../ResponseStore.js"

export class SessionCache {
  private readonly entries = new Map<string, StoredResponse>()

  constructor(private readonly max = 16) {}

  /** Keeps a finished `store: false` response (completed or incomplete: what can be continued). */
  keep(response: ResponseObject.Response, input: ReadonlyArray<StoredItem>): void {
    const previous = response.previous_response_id == null ? undefined : this.entries.get(response.previous_response_id)
    const entry: StoredResponse =
      previous === undefined
        ? { response, input }
        : {
            // The cached ancestor's chain joins this entry; what lies before it (in the store) stays linked.
            response: { ...response, previous_response_id: previous.response.previous_response_id ?? null },
            input: [...previous.input, ...(previous.response.output as ReadonlyArray<StoredItem>), ...input]
          }
    this.entries.delete(response.id)
    this.entries.set(response.id, entry)
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
  }

  evict(id: string | null | undefined): void {
    if (id != null) this.entries.delete(id)
  }

  has(id: string): boolean {
    return this.entries.has(id)
  }

  /** The store as this connection sees it: its cached responses first, then the shared store. */
  overlay(store: ResponseStoreService): ResponseStoreService {
    const entries = this.entries
    return {
      ...store,
      get: (id) => {
        const entry = entries.get(id)
        return entry === undefined ? store.get(id) : Effect.succeed(Option.some(entry))
      },
      getItem: (id) => {
        for (const entry of [...entries.values()].reverse()) {
          const item = itemsOf(entry).find((i) => i.id === id)
          if (item !== undefined) return Effect.succeed(Option.some(item))
        }
        return store.getItem(id)
      }
    }
  }
}
