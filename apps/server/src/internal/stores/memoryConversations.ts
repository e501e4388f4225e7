/**
 * The in-memory ConversationStore (`--store memory`, tests): nothing survives a restart. Bounded like the memory
 * ResponseStore: past `maxConversations` the oldest conversation is forgotten with its items.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AppendResult, ConversationStoreService, ListResult, PageQuery } from "../../ConversationStore.js"
import type { StoredItem } from "../../ResponseStore.js"

interface Entry {
  conversation: string
  /** Oldest first, each as JSON text (callers never share mutable objects with the store). */
  items: Array<{ readonly id: string; readonly text: string }>
}

/** A page of `items` (oldest first) by cursor: the one home of the rule for stores that hold a list in memory. */
export const pageOf = <A extends { readonly id: string }>(items: ReadonlyArray<A>, query: PageQuery) => {
  const ordered = query.order === "asc" ? items : [...items].reverse()
  let start = 0
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after)
    if (at < 0) return undefined
    start = at + 1
  }
  return { slice: ordered.slice(start, start + query.limit), hasMore: ordered.length > start + query.limit }
}

export const makeMemoryConversations = (maxConversations = 10_000): ConversationStoreService => {
  const entries = new Map<string, Entry>()
  const parse = (text: string) => JSON.parse(text) as StoredItem
  const duplicateOf = (entry: Entry | undefined, items: ReadonlyArray<StoredItem>): string | undefined => {
    const seen = new Set(entry?.items.map((item) => item.id))
    for (const item of items) {
      if (seen.has(item.id)) return item.id
      seen.add(item.id)
    }
    return undefined
  }
  const add = (entry: Entry, items: ReadonlyArray<StoredItem>) => {
    for (const item of items) entry.items.push({ id: item.id, text: JSON.stringify(item) })
  }
  return {
    create: (conversation, items) =>
      Effect.sync((): AppendResult => {
        const duplicate = duplicateOf(undefined, items)
        if (duplicate !== undefined) return { _tag: "Duplicate", itemId: duplicate }
        const entry: Entry = { conversation: JSON.stringify(conversation), items: [] }
        add(entry, items)
        entries.set(conversation.id, entry)
        while (entries.size > maxConversations) entries.delete(entries.keys().next().value!)
        return { _tag: "Appended" }
      }),
    get: (id) =>
      Effect.sync(() => Option.map(Option.fromUndefinedOr(entries.get(id)), (e) => JSON.parse(e.conversation))),
    update: (id, metadata) =>
      Effect.sync(() => {
        const entry = entries.get(id)
        if (entry === undefined) return Option.none()
        const next = { ...JSON.parse(entry.conversation), metadata }
        entry.conversation = JSON.stringify(next)
        return Option.some(next)
      }),
    delete: (id) => Effect.sync(() => entries.delete(id)),
    append: (id, items) =>
      Effect.sync((): AppendResult => {
        const entry = entries.get(id)
        if (entry === undefined) return { _tag: "ConversationNotFound" }
        const duplicate = duplicateOf(entry, items)
        if (duplicate !== undefined) return { _tag: "Duplicate", itemId: duplicate }
        add(entry, items)
        return { _tag: "Appended" }
      }),
    items: (id) =>
      Effect.sync(() => Option.map(Option.fromUndefinedOr(entries.get(id)), (e) => e.items.map((i) => parse(i.text)))),
    list: (id, query) =>
      Effect.sync((): ListResult => {
        const entry = entries.get(id)
        if (entry === undefined) return { _tag: "ConversationNotFound" }
        const page = pageOf(entry.items, query)
        if (page === undefined) return { _tag: "CursorNotFound" }
        return { _tag: "Page", items: page.slice.map((i) => parse(i.text)), hasMore: page.hasMore }
      }),
    getItem: (id, itemId) =>
      Effect.sync(() => {
        const found = entries.get(id)?.items.find((item) => item.id === itemId)
        return found === undefined ? Option.none() : Option.some(parse(found.text))
      }),
    deleteItem: (id, itemId) =>
      Effect.sync(() => {
        const entry = entries.get(id)
        const at = entry?.items.findIndex((item) => item.id === itemId) ?? -1
        if (entry === undefined || at < 0) return false
        entry.items.splice(at, 1)
        return true
      })
  }
}
