/**
 * The in-memory ResponseStore: tests, and `--store memory` (nothing survives a restart). Bounded: past
 * `maxResponses` the oldest response is forgotten, so a long-running server does not grow without limit.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ResponseStoreService, StoredResponse } from "../ResponseStore.js"

export const makeMemoryStore = (maxResponses = 10_000): ResponseStoreService => {
  // Map iteration follows insertion order: the first key is the oldest.
  const records = new Map<string, string>()
  const cancels = new Set<string>()
  return {
    // Stored as JSON text, like SQLite, so callers can never share mutable objects with the store.
    put: (record) =>
      Effect.sync(() => {
        const id = record.response.id
        records.delete(id)
        records.set(id, JSON.stringify(record))
        while (records.size > maxResponses) {
          const oldest = records.keys().next().value!
          records.delete(oldest)
          cancels.delete(oldest)
        }
      }),
    get: (id) =>
      Effect.sync(() => {
        const text = records.get(id)
        return text === undefined ? Option.none() : Option.some(JSON.parse(text) as StoredResponse)
      }),
    delete: (id) => Effect.sync(() => records.delete(id)),
    requestCancel: (id) => Effect.sync(() => void cancels.add(id)),
    isCancelRequested: (id) => Effect.sync(() => cancels.has(id)),
    close: Effect.void
  }
}
