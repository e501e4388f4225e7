/** item_reference resolves against the whole store, as on OpenAI — and a store: false response left nothing to find. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Harness, startHarness } from "./harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const create = async (body: Record<string, unknown>, url = h.url) => {
  const response = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "fake-model", ...body })
  })
  return { status: response.status, body: (await response.json()) as any }
}

describe("item_reference", () => {
  it("resolves input and output items of any stored response, without previous_response_id", async () => {
    const first = await create({
      input: [{ type: "message", id: "msg_client_1", role: "user", content: "first question" }]
    })
    await create({ input: "an unrelated response in between" })
    const answerId = first.body.output[0].id
    const next = await create({
      input: [
        { type: "item_reference", id: "msg_client_1" },
        { type: "item_reference", id: answerId },
        { role: "user", content: "follow-up" }
      ]
    })
    expect(next.status).toBe(200)
    expect(h.upstream.requests.at(-1).messages).toEqual([
      { role: "user", content: "first question" },
      { role: "assistant", content: "echo: first question (messages: 1)" },
      { role: "user", content: "follow-up" }
    ])
  })

  it("a reference into a store: false response is a 400 naming the input, saying why", async () => {
    const unstored = await create({ input: "not kept", store: false })
    expect(unstored.status).toBe(200)
    const next = await create({
      input: [
        { role: "user", content: "go on" },
        { type: "item_reference", id: unstored.body.output[0].id }
      ]
    })
    expect(next.status).toBe(400)
    expect(next.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "item_not_found",
      param: "input[1].id"
    })
    expect(next.body.error.message).toContain("store")
  })

  it("a reference into a deleted response is not found", async () => {
    const gone = await create({ input: "delete me" })
    await fetch(`${h.url}/v1/responses/${gone.body.id}`, { method: "DELETE" })
    const next = await create({ input: [{ type: "item_reference", id: gone.body.output[0].id }] })
    expect(next.status).toBe(400)
    expect(next.body.error.code).toBe("item_not_found")
  })
})

describe("item_reference with SQLite", () => {
  it("resolves on another replica sharing the database (the indexed item table)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-refs-"))
    const a = await startHarness({ store: "sqlite", dataDir })
    const b = await startHarness({ store: "sqlite", dataDir })
    try {
      const first = await create({ input: "kept on disk" }, a.url)
      const next = await create(
        {
          input: [
            { type: "item_reference", id: first.body.output[0].id },
            { role: "user", content: "and?" }
          ]
        },
        b.url
      )
      expect(next.status).toBe(200)
      expect(b.upstream.requests.at(-1).messages[0]).toEqual({
        role: "assistant",
        content: "echo: kept on disk (messages: 1)"
      })
    } finally {
      await a.close()
      await b.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
