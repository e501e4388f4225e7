/**
 * `--store-lock-wait` (and `PARLANCE_STORE_LOCK_WAIT`) as an operator sets it: with SQLite's write lock held by
 * another connection longer than the wait, a stored response ends `failed` (`server_error`) within about that
 * wait, not the 10 s default, and the replica serves stored requests again once the lock is released.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DatabaseSync } from "node:sqlite"
import { join } from "node:path"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { tempDir } from "./cliHarness.js"
import { serveParlance } from "./spawnServe.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(async () => {
  await upstream.close()
})

const create = async (url: string) => {
  const started = performance.now()
  const response = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "plain", input: "hi" }),
    signal: AbortSignal.timeout(20_000)
  })
  return { body: await response.json(), ms: performance.now() - started }
}

describe("parlance serve --store-lock-wait", () => {
  for (const [how, args, env] of [
    ["the flag", ["--store-lock-wait", "400"], {}],
    ["the environment", [], { PARLANCE_STORE_LOCK_WAIT: "400" }]
  ] as const) {
    it(`bounds a store call's wait on the SQLite lock (${how})`, async () => {
      const dataDir = tempDir("lock-wait")
      const saved = { ...process.env }
      Object.assign(process.env, env)
      const served = await serveParlance([
        "--upstream",
        upstream.url,
        "--store",
        "sqlite",
        "--data-dir",
        dataDir,
        ...args
      ])
      process.env = saved
      try {
        const holder = new DatabaseSync(join(dataDir, "parlance.db"))
        holder.exec("BEGIN IMMEDIATE; UPDATE responses SET status = status")
        try {
          const blocked = await create(served.url)
          expect(blocked.body.status).toBe("failed")
          expect(blocked.body.error.code).toBe("server_error")
          expect(blocked.ms).toBeLessThan(5_000)
        } finally {
          holder.exec("ROLLBACK")
          holder.close()
        }
        const after = await create(served.url)
        expect(after.body.status).toBe("completed")
      } finally {
        await served.stop()
      }
    }, 60_000)
  }
})
