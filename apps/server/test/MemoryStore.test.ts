import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { makeMemoryStore } from "../src/internal/stores/memoryStore.js"
import type { StoredResponse } from "../src/ResponseStore.js"

const record = (id: string) => ({ response: { id }, input: [] }) as unknown as StoredResponse

describe("the memory store", () => {
  it.effect("forgets the oldest response past its bound; a rewrite counts as new", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore(2)
      yield* store.put(record("a"))
      yield* store.put(record("b"))
      yield* store.put(record("a"))
      yield* store.put(record("c"))
      expect(Option.isSome(yield* store.get("a"))).toBe(true)
      expect(Option.isNone(yield* store.get("b"))).toBe(true)
      expect(Option.isSome(yield* store.get("c"))).toBe(true)
    })
  )

  it.effect("returns copies: mutating a read record does not change the store", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore()
      yield* store.put(record("a"))
      const first = Option.getOrThrow(yield* store.get("a"))
      ;(first.response as { id: string }).id = "changed"
      expect(Option.getOrThrow(yield* store.get("a")).response.id).toBe("a")
    })
  )
})
