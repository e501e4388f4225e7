/** The in-memory ResponseStore: tests, and `--store memory` (nothing survives a restart). */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { ResponseStoreService, StoredResponse } from "../ResponseStore.js"

export const makeMemoryStore = (): ResponseStoreService => {
  const records = new Map<string, string>()
  const cancels = new Set<string>()
  return {
    // Stored as JSON text, like SQLite, so callers can never share mutable objects with the store.
    put: (record) => Effect.sync(() => void records.set(record.response.id, JSON.stringify(record))),
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
