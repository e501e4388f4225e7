/**
 * The contract of every ConversationStore (memory, SQLite and PostgreSQL — a real throwaway cluster,
 * pgCluster.ts): items keep
 * the order they were appended in; pages are read by cursor in both orders; an item already in the conversation
 * is refused and nothing of that call is written; deletes; and a parlance.db from before conversations gains
 * its tables when it opens.
 */
import { createClient } from "@libsql/client"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ConversationStoreService, StoredConversation } from "../src/ConversationStore.js"
import { makeMemoryConversations } from "../src/internal/stores/memoryConversations.js"
import { makePgConversations } from "../src/internal/stores/pgConversations.js"
import { makePgStore } from "../src/internal/stores/pgStore.js"
import { makeSqliteConversations } from "../src/internal/stores/sqliteConversations.js"
import { makeSqliteStore } from "../src/internal/stores/sqliteStore.js"
import type { StoredItem } from "../src/ResponseStore.js"
import { type PgCluster, startCluster } from "./pgCluster.js"

const item = (id: string, text = id) =>
  ({ type: "message", id, role: "user", status: "completed", content: [{ type: "input_text", text }] }) as StoredItem
const conversation = (id: string): StoredConversation => ({ id, object: "conversation", created_at: 1, metadata: {} })

const sqlite = (dir = mkdtempSync(join(tmpdir(), "parlance-conv-"))) =>
  Effect.map(makeSqliteStore(dir), (store) => makeSqliteConversations(store.db))

// One cluster and one pool for the file (each test's ids are its own), opened before the tests and closed after.
let pg: PgCluster | undefined
let pgConversations: ConversationStoreService | undefined
const pgScope = Effect.runSync(Scope.make())
beforeAll(async () => {
  pg = await startCluster()
  const store = await Effect.runPromise(makePgStore({ url: pg.url }).pipe(Scope.provide(pgScope)))
  pgConversations = makePgConversations(store.db)
}, 120_000)
afterAll(async () => {
  await Effect.runPromise(Scope.close(pgScope, Exit.void))
  pg?.destroy()
})
const postgres = Effect.sync(() => pgConversations!)

const stores: ReadonlyArray<readonly [string, Effect.Effect<ConversationStoreService, unknown>]> = [
  ["memory", Effect.sync(() => makeMemoryConversations())],
  ["sqlite", sqlite()],
  ["postgres", postgres]
]

const ids = (result: { readonly _tag: string; readonly items?: ReadonlyArray<StoredItem> }) =>
  result._tag === "Page" ? result.items!.map((i) => i.id) : result._tag

for (const [name, open] of stores) {
  describe(`${name} conversation store`, () => {
    it.effect("keeps append order; pages by cursor both ways; has_more exact", () =>
      Effect.gen(function* () {
        const store = yield* open
        const all = Array.from({ length: 12 }, (_, i) => `msg_${String(i).padStart(2, "0")}`)
        // Ids out of lexical order in the second call: the order is the append order, not the ids'.
        expect(
          yield* store.create(
            conversation("conv_a"),
            all.slice(0, 5).map((id) => item(id))
          )
        ).toEqual({ _tag: "Appended" })
        const later = [...all.slice(5)].reverse()
        expect(
          yield* store.append(
            "conv_a",
            later.map((id) => item(id))
          )
        ).toEqual({ _tag: "Appended" })
        const order = [...all.slice(0, 5), ...later]
        expect(Option.getOrThrow(yield* store.items("conv_a")).map((i) => i.id)).toEqual(order)

        const asc = yield* store.list("conv_a", { limit: 5, order: "asc" })
        expect(ids(asc)).toEqual(order.slice(0, 5))
        expect(asc).toMatchObject({ hasMore: true })
        const next = yield* store.list("conv_a", { limit: 7, order: "asc", after: order[4] })
        expect(ids(next)).toEqual(order.slice(5))
        expect(next).toMatchObject({ hasMore: false })
        const desc = yield* store.list("conv_a", { limit: 3, order: "desc", after: order[9] })
        expect(ids(desc)).toEqual([order[8], order[7], order[6]])
        expect(ids(yield* store.list("conv_a", { limit: 3, order: "desc", after: order[0] }))).toEqual([])
        expect((yield* store.list("conv_a", { limit: 3, order: "asc", after: "msg_nope" }))._tag).toBe("CursorNotFound")
        expect((yield* store.list("conv_nope", { limit: 3, order: "asc" }))._tag).toBe("ConversationNotFound")

        // Deleting an item keeps the others' order; a new append goes after the last (positions never reused).
        expect(yield* store.deleteItem("conv_a", order[11]!)).toBe(true)
        expect(yield* store.deleteItem("conv_a", order[11]!)).toBe(false)
        yield* store.append("conv_a", [item("msg_new")])
        expect(Option.getOrThrow(yield* store.items("conv_a")).map((i) => i.id)).toEqual([
          ...order.slice(0, 11),
          "msg_new"
        ])
        expect(Option.getOrThrow(yield* store.getItem("conv_a", "msg_new"))).toEqual(item("msg_new"))
        expect(Option.isNone(yield* store.getItem("conv_b", "msg_new"))).toBe(true)
      })
    )

    it.effect("an item already there is refused, and nothing of that call is written", () =>
      Effect.gen(function* () {
        const store = yield* open
        yield* store.create(conversation("conv_d"), [item("msg_1")])
        expect(yield* store.append("conv_d", [item("msg_2"), item("msg_1")])).toEqual({
          _tag: "Duplicate",
          itemId: "msg_1"
        })
        expect(yield* store.append("conv_d", [item("msg_3"), item("msg_3")])).toEqual({
          _tag: "Duplicate",
          itemId: "msg_3"
        })
        expect(Option.getOrThrow(yield* store.items("conv_d")).map((i) => i.id)).toEqual(["msg_1"])
        expect(yield* store.create(conversation("conv_e"), [item("msg_4"), item("msg_4")])).toMatchObject({
          _tag: "Duplicate"
        })
        expect(Option.isNone(yield* store.get("conv_e"))).toBe(true)
        // The same item in another conversation is fine.
        expect(yield* store.create(conversation("conv_f"), [item("msg_1")])).toEqual({ _tag: "Appended" })
        expect(yield* store.append("conv_nope", [item("msg_9")])).toEqual({ _tag: "ConversationNotFound" })
      })
    )

    it.effect("update replaces the metadata; delete takes the items with it", () =>
      Effect.gen(function* () {
        const store = yield* open
        yield* store.create({ ...conversation("conv_u"), metadata: { a: "1" } }, [item("msg_u")])
        expect(Option.getOrThrow(yield* store.update("conv_u", { b: "2" })).metadata).toEqual({ b: "2" })
        expect(Option.getOrThrow(yield* store.get("conv_u"))).toEqual({
          ...conversation("conv_u"),
          metadata: { b: "2" }
        })
        expect(Option.isNone(yield* store.update("conv_nope", {}))).toBe(true)
        expect(yield* store.delete("conv_u")).toBe(true)
        expect(yield* store.delete("conv_u")).toBe(false)
        expect(Option.isNone(yield* store.items("conv_u"))).toBe(true)
        expect(Option.isNone(yield* store.getItem("conv_u", "msg_u"))).toBe(true)
      })
    )
  })
}

describe("postgres conversations across replicas", () => {
  it.live(
    "concurrent appends to one conversation from two pools take turns: every item once, each call's in a row",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const other = makePgConversations((yield* makePgStore({ url: pg!.url }).pipe(Scope.provide(scope))).db)
        const mine = pgConversations!
        yield* mine.create(conversation("conv_race"), [])
        const calls = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? mine : other).append("conv_race", [item(`msg_${i}_a`), item(`msg_${i}_b`)])
        )
        const results = yield* Effect.all(calls, { concurrency: "unbounded" })
        expect(results.every((r) => r._tag === "Appended")).toBe(true)
        const got = Option.getOrThrow(yield* other.items("conv_race")).map((i) => i.id)
        expect(got).toHaveLength(40)
        for (let k = 0; k < 40; k += 2) expect(got[k + 1]).toBe(got[k]!.replace(/_a$/, "_b"))
        yield* Scope.close(scope, Exit.void)
      })
  )
})

describe("sqlite migration", () => {
  it.effect("a parlance.db from before conversations gains their tables and keeps its responses", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "parlance-conv-migrate-"))
      const old = yield* makeSqliteStore(dir)
      yield* old.close
      // Back to what version 4 left: no conversation tables, no migration 5 (nor the later 6, the events).
      const raw = createClient({ url: `file:${join(dir, "parlance.db")}` })
      yield* Effect.promise(() =>
        raw.batch([
          "DROP TABLE conversation_items",
          "DROP TABLE conversations",
          "DROP TABLE response_events",
          "DELETE FROM effect_sql_migrations WHERE migration_id >= 5"
        ])
      )
      raw.close()
      const store = yield* sqlite(dir)
      expect(yield* store.create(conversation("conv_m"), [item("msg_m")])).toEqual({ _tag: "Appended" })
      expect(Option.getOrThrow(yield* store.items("conv_m")).map((i) => i.id)).toEqual(["msg_m"])
    })
  )
})
