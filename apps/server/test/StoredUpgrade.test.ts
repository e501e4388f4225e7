/**
 * A response stored by a Parlance older than the openai SDK 7.60 shapes (no `cache_write_tokens`) reads back
 * with it, 0, so `GET /v1/responses/{id}` answers what the SDK's types require.
 */
import { describe, expect, it } from "@effect/vitest"
import { ResponseSnapshot } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ResponseStore } from "../src/index.js"

describe("stored responses from before SDK 7.60", () => {
  it("read back with usage.input_tokens_details.cache_write_tokens: 0; newer ones unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parlance-upgrade-"))
    const response = (id: string, details: Record<string, number>) =>
      ({
        response: {
          ...ResponseSnapshot.make({ id, createdAt: 1_700_000_000, model: "m", echo: {} }),
          status: "completed",
          usage: {
            input_tokens: 5,
            input_tokens_details: details,
            output_tokens: 1,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 6
          }
        },
        input: []
      }) as unknown as ResponseStore.StoredResponse
    const [old, current] = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ResponseStore.ResponseStore
        yield* store.put(response("resp_old", { cached_tokens: 3 }))
        yield* store.put(response("resp_new", { cached_tokens: 3, cache_write_tokens: 2 }))
        return [yield* store.get("resp_old"), yield* store.get("resp_new")] as const
      }).pipe(Effect.scoped, Effect.provide(ResponseStore.layerSqlite(dir)))
    )
    expect(Option.getOrThrow(old).response.usage?.input_tokens_details).toEqual({
      cached_tokens: 3,
      cache_write_tokens: 0
    })
    expect(Option.getOrThrow(current).response.usage?.input_tokens_details).toEqual({
      cached_tokens: 3,
      cache_write_tokens: 2
    })
  })
})
