/**
 * `parlance check` against the embedded engine: `parlance serve --model <scripted tiny model>` spawned, the
 * check run as a user runs it. The scripted model ends its turns, calls tools (twice when asked for both
 * calls), answers tool results and counts for ever when asked to count, so all 8 scenarios pass, every
 * stream grammar-clean.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ensureScriptedModel } from "@parlance/tiny-model"
import { runCli } from "./cliHarness.js"
import { type Served, serveParlance } from "./spawnServe.js"

let served: Served
beforeAll(async () => {
  served = await serveParlance(["--model", await ensureScriptedModel(), "--model-name", "scripted", "--threads", "1"])
}, 120_000)
afterAll(async () => {
  expect(await served?.stop()).toBe(0)
})

describe("parlance check on the engine (scripted model)", () => {
  it("passes 8 of 8 scenarios, every stream grammar-clean", { timeout: 240_000 }, async () => {
    const result = await runCli(["check", served.baseUrl, "--model", "scripted", "--json"], { timeoutMs: 220_000 })
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.scenarios.map((s: any) => [s.name, s.pass, s.violations])).toEqual(
      [
        "stream",
        "non-stream",
        "tool-call",
        "consecutive-tool-calls",
        "tool-loop",
        "json-schema",
        "previous-response-id",
        "max-output-tokens"
      ].map((name) => [name, true, 0])
    )
  })
})
