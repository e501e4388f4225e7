/**
 * The in-memory ResponseStore: tests, and `--store memory` (nothing survives a restart). Bounded: past
 * `maxResponses` the oldest response is forgotten, so a long-running server does not grow without limit.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  isRunning,
  itemsOf,
  type Lease,
  type ResponseStoreService,
  type StoredEvent,
  type StoredResponse
} from "../../ResponseStore.js"

export const makeMemoryStore = (maxResponses = 10_000): ResponseStoreService => {
  // Map iteration follows insertion order: the first key is the oldest.
  const records = new Map<string, string>()
  const cancels = new Set<string>()
  const watchers = new Map<string, Set<() => void>>()
  const leases = new Map<string, Lease>()
  // Item id → the response that holds it (the latest writer wins, as in the SQLite index), and back.
  const itemIndex = new Map<string, string>()
  const itemsByResponse = new Map<string, ReadonlyArray<string>>()
  // A background response's events, indexed by sequence number.
  const events = new Map<string, Array<StoredEvent>>()
  const forget = (id: string) => {
    events.delete(id)
    for (const itemId of itemsByResponse.get(id) ?? []) if (itemIndex.get(itemId) === id) itemIndex.delete(itemId)
    itemsByResponse.delete(id)
  }
  return {
    // Stored as JSON text, like SQLite, so callers can never share mutable objects with the store.
    put: (record, lease) =>
      Effect.sync(() => {
        const id = record.response.id
        records.delete(id)
        records.set(id, JSON.stringify(record))
        if (lease !== undefined && isRunning(record.response.status)) leases.set(id, lease)
        else leases.delete(id)
        const itemIds = itemsOf(record).map((item) => item.id)
        for (const itemId of itemIds) itemIndex.set(itemId, id)
        itemsByResponse.set(id, itemIds)
        while (records.size > maxResponses) {
          const oldest = records.keys().next().value!
          records.delete(oldest)
          cancels.delete(oldest)
          leases.delete(oldest)
          forget(oldest)
        }
      }),
    get: (id) =>
      Effect.sync(() => {
        const text = records.get(id)
        return text === undefined ? Option.none() : Option.some(JSON.parse(text) as StoredResponse)
      }),
    getItem: (itemId) =>
      Effect.sync(() => {
        const text = records.get(itemIndex.get(itemId) ?? "")
        const item =
          text === undefined ? undefined : itemsOf(JSON.parse(text) as StoredResponse).find((i) => i.id === itemId)
        return Option.fromUndefinedOr(item)
      }),
    heartbeat: (owner, at) =>
      Effect.sync(() => {
        for (const [id, lease] of leases) if (lease.owner === owner) leases.set(id, { owner, heartbeatAt: at })
      }),
    failStale: (staleBefore, fail) =>
      Effect.sync(() => {
        const failed: Array<string> = []
        for (const [id, text] of records) {
          const record = JSON.parse(text) as StoredResponse
          const lease = leases.get(id)
          if (!isRunning(record.response.status) || (lease !== undefined && lease.heartbeatAt >= staleBefore)) continue
          records.set(id, JSON.stringify({ ...record, response: fail(record.response) }))
          leases.delete(id)
          failed.push(id)
        }
        return failed
      }),
    delete: (id) =>
      Effect.sync(() => {
        leases.delete(id)
        forget(id)
        return records.delete(id)
      }),
    requestCancel: (id) =>
      Effect.sync(() => {
        cancels.add(id)
        for (const onCancel of watchers.get(id) ?? []) onCancel()
      }),
    appendEvents: (id, appended) =>
      Effect.sync(() => {
        const log = events.get(id) ?? []
        for (const event of appended) if (log[event.sequence] === undefined) log[event.sequence] = event
        events.set(id, log)
      }),
    readEvents: (id, after, limit = 1_000) =>
      Effect.sync(() => {
        const log = events.get(id) ?? []
        const out: Array<StoredEvent> = []
        for (let i = Math.max(0, after + 1); i < log.length && out.length < limit; i++) {
          const event = log[i]
          if (event === undefined) break
          out.push(event)
        }
        return out
      }),
    isCancelRequested: (id) => Effect.sync(() => cancels.has(id)),
    watchCancel: (id, onCancel) => {
      let fired = false
      const once = () => {
        if (fired) return
        fired = true
        onCancel()
      }
      if (cancels.has(id)) {
        once()
        return () => undefined
      }
      let set = watchers.get(id)
      if (set === undefined) watchers.set(id, (set = new Set()))
      set.add(once)
      return () => {
        set.delete(once)
        if (set.size === 0) watchers.delete(id)
      }
    },
    available: () => true,
    close: Effect.void
  }
}
