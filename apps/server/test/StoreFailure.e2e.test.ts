/**
 * A response whose final record cannot be stored ends `failed` (`server_error`), never `completed`: a client
 * must not be told a response exists that `previous_response_id` and GET will not find. The failure is real:
 * another connection holds SQLite's write lock past the store's wait bound (a stuck replica, a sqlite3 shell).
 * Every other request goes on: `store: false` while the lock is held, stored ones once it is released.
 */
import { createClient } from "@libsql/client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Harness, postSse, startHarness, violations } from "./harness.js"

const dataDir = mkdtempSync(join(tmpdir(), "parlance-store-failure-"))
let h: Harness

beforeAll(async () => {
  h = await startHarness({ store: "sqlite", dataDir, storeLockWaitMs: 400 })
})
afterAll(async () => {
  await h.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const post = (body: Record<string, unknown>) =>
  fetch(`${h.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })

describe("a final write that fails", () => {
  it("ends that response failed (server_error), streamed or not; the rest goes on; stored requests work again after", async () => {
    const holder = createClient({ url: `file:${join(dataDir, "parlance.db")}` })
    const tx = await holder.transaction("write")
    await tx.execute("UPDATE responses SET status = status")
    try {
      const streamed = await postSse(`${h.url}/v1/responses`, { model: "plain", input: "hi", stream: true })
      expect(streamed.status).toBe(200)
      expect(violations(streamed)).toEqual([])
      const terminal = streamed.events.at(-1)
      expect(terminal.type).toBe("response.failed")
      expect(terminal.response.status).toBe("failed")
      expect(terminal.response.error).toEqual({
        code: "server_error",
        message: expect.stringContaining("could not be stored")
      })
      expect(
        streamed.events.filter((e) => e.type.startsWith("response.") && e.type.match(/completed|failed|incomplete$/))
          .length
      ).toBe(1)

      const plain = await post({ model: "plain", input: "hi" })
      expect(plain.status).toBe(200)
      const body = await plain.json()
      expect(body.status).toBe("failed")
      expect(body.error.code).toBe("server_error")

      // Not stored: the response goes on as before, with the lock still held.
      const unstored = await post({ model: "plain", input: "hi", store: false })
      expect(unstored.status).toBe(200)
      expect((await unstored.json()).status).toBe("completed")
    } finally {
      await tx.rollback()
      holder.close()
    }

    const stored = await post({ model: "plain", input: "hi" })
    const response = await stored.json()
    expect(response.status).toBe("completed")
    const again = await fetch(`${h.url}/v1/responses/${response.id}`)
    expect(again.status).toBe(200)
    expect((await again.json()).status).toBe("completed")
  }, 60_000)
})
