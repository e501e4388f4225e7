/** `getItem`: any stored response's input or output item by id, in both stores (what item_reference uses). */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeMemoryStore } from "../src/internal/stores/memoryStore.js"
import { makeSqliteStore } from "../src/internal/stores/sqliteStore.js"
import type { ResponseStoreService, StoredResponse } from "../src/ResponseStore.js"

const record = (id: string, inputId: string, outputId: string) =>
  ({
    response: {
      id,
      previous_response_id: null,
      created_at: 1,
      status: "completed",
      output: [{ type: "reasoning", id: outputId, summary: [], status: "completed" }]
    },
    input: [{ type: "message", id: inputId, role: "user", content: [{ type: "input_text", text: `from ${id}` }] }]
  }) as unknown as StoredResponse

const itemId = (store: ResponseStoreService, id: string) =>
  store.getItem(id).pipe(Effect.map(Option.map((item) => item.id)))

const contract = (name: string, open: () => Effect.Effect<ResponseStoreService, unknown>) =>
  describe(`${name} store: getItem`, () => {
    it.effect("finds input and output items of any response, and nothing after delete", () =>
      Effect.gen(function* () {
        const store = yield* open()
        yield* store.put(record("resp_a", "msg_a", "rs_a"))
        yield* store.put(record("resp_b", "msg_b", "rs_b"))
        expect(yield* itemId(store, "msg_a")).toEqual(Option.some("msg_a"))
        expect(yield* itemId(store, "rs_b")).toEqual(Option.some("rs_b"))
        const found = Option.getOrThrow(yield* store.getItem("msg_b"))
        expect(found).toEqual(record("resp_b", "msg_b", "rs_b").input[0])
        expect(yield* itemId(store, "rs_missing")).toEqual(Option.none())
        expect(yield* store.delete("resp_a")).toBe(true)
        expect(yield* itemId(store, "msg_a")).toEqual(Option.none())
        expect(yield* itemId(store, "rs_b")).toEqual(Option.some("rs_b"))
        yield* store.close
      })
    )

    it.effect("a rewrite of the same response (in_progress → completed) keeps its items findable", () =>
      Effect.gen(function* () {
        const store = yield* open()
        yield* store.put(record("resp_c", "msg_c", "rs_c"))
        yield* store.put(record("resp_c", "msg_c", "rs_c"))
        expect(yield* itemId(store, "rs_c")).toEqual(Option.some("rs_c"))
        yield* store.close
      })
    )
  })

contract("memory", () => Effect.succeed(makeMemoryStore()))

const dirs: Array<string> = []
contract("SQLite", () =>
  Effect.suspend(() => {
    const dir = mkdtempSync(join(tmpdir(), "parlance-items-"))
    dirs.push(dir)
    return makeSqliteStore(dir)
  })
)
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("the memory store's item index", () => {
  it.effect("forgets the items of an evicted response", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore(1)
      yield* store.put(record("resp_a", "msg_a", "rs_a"))
      yield* store.put(record("resp_b", "msg_b", "rs_b"))
      expect(yield* itemId(store, "rs_a")).toEqual(Option.none())
      expect(yield* itemId(store, "rs_b")).toEqual(Option.some("rs_b"))
    })
  )
})

describe("the SQLite item index", () => {
  it.effect("survives a reopen", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "parlance-items-"))
      try {
        const first = yield* makeSqliteStore(dir)
        yield* first.put(record("resp_a", "msg_a", "rs_a"))
        yield* first.close
        const second = yield* makeSqliteStore(dir)
        expect(yield* itemId(second, "rs_a")).toEqual(Option.some("rs_a"))
        yield* second.close
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  )
})
