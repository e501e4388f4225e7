/**
 * Every request vector (packages/translate/vectors, `kind: "request"`) is what the real server sends: its
 * history is put in a real store (SQLite) — the `previous_response_id` chain and the items `item_reference`s
 * name — its `input_file`s are read by the server itself, and the fake upstream captures the request body.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { ResponseSnapshot, type Vector } from "@parlance/translate"
import * as Effect from "effect/Effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ResponseStore } from "../src/index.js"
import { vectorDir } from "./fakeUpstream.js"
import { type Harness, startHarness } from "./harness.js"

const vectors: Array<Vector.RequestVector> = JSON.parse(readFileSync(join(vectorDir, "index.json"), "utf8"))
  .vectors.map((f: string) => JSON.parse(readFileSync(join(vectorDir, f), "utf8")))
  .filter((v: { kind: string }) => v.kind === "request")

/** A stored, completed response whose input items are `input`. */
const record = (id: string, input: ReadonlyArray<unknown>): ResponseStore.StoredResponse => ({
  response: {
    ...ResponseSnapshot.make({ id, createdAt: 1_700_000_000, model: "local-model", echo: {} }),
    status: "completed"
  },
  input: input as unknown as ReadonlyArray<ResponseStore.StoredItem>
})

/** The vector's history under its `previous_response_id`, and its referenced items in another response. */
const seed = (dir: string, vector: Vector.RequestVector) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ResponseStore.ResponseStore
      const previous = vector.request.previous_response_id
      if (typeof previous === "string") yield* store.put(record(previous, vector.context.history))
      else expect(vector.context.history).toEqual([])
      const referenced = Object.values(vector.context.references)
      if (referenced.length > 0) yield* store.put(record("resp_referenced_items", referenced))
    }).pipe(Effect.scoped, Effect.provide(ResponseStore.layerSqlite(dir)))
  )

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe("request vectors: the Chat Completions request the server really sends", () => {
  it("there are request vectors, with history, references, files and a refusal", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(4)
    expect(vectors.some((v) => v.context.history.length > 0)).toBe(true)
    expect(vectors.some((v) => Object.keys(v.context.references).length > 0)).toBe(true)
    expect(vectors.some((v) => v.context.files.length > 0)).toBe(true)
    expect(vectors.some((v) => "error" in v.output)).toBe(true)
  })

  for (const vector of vectors) {
    it(vector.name, async () => {
      // The server's defaults are the vector's options: none set here, none set there.
      expect(vector.context.options).toEqual({})
      const dir = mkdtempSync(join(tmpdir(), "parlance-request-vector-"))
      await seed(dir, vector)
      h = await startHarness({ store: "sqlite", dataDir: dir })
      const response = await fetch(`${h.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(vector.request)
      })
      const body = await response.json()
      if ("error" in vector.output) {
        expect(response.status).toBe(400)
        expect(body.error).toMatchObject({ param: vector.output.error.param, message: vector.output.error.message })
        expect(h.upstream.requests).toEqual([])
        return
      }
      expect(response.status, JSON.stringify(body)).toBe(200)
      // A background response is asked of the backend after the answer: wait for it.
      for (let i = 0; vector.request.background === true && h.upstream.requests.length === 0 && i < 200; i++)
        await new Promise((r) => setTimeout(r, 25))
      expect(h.upstream.requests).toEqual([vector.output.chatRequest])
    })
  }
})
