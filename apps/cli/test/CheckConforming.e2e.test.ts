/**
 * `parlance check` against a conforming server that differs from Parlance in allowed ways (`reasoning: null`,
 * no `completed_at`, extra fields, `data: [DONE]` after the terminal event): every stream is grammar-clean,
 * the differences are warnings, and `--strict` turns exactly those into failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Parlance, runCli, startParlance } from "./cliHarness.js"
import { startConformingVariant } from "./conformingVariant.js"

let p: Parlance
let variant: Awaited<ReturnType<typeof startConformingVariant>>
beforeAll(async () => {
  p = await startParlance()
  variant = await startConformingVariant(p.baseUrl)
})
afterAll(async () => {
  await variant.close()
  await p.close()
})

const byName = (report: any) => Object.fromEntries(report.scenarios.map((s: any) => [s.name, s]))

describe("parlance check on a conforming server that is not Parlance", () => {
  it("passes what Parlance passes, with warnings only; --strict fails on them", async () => {
    const [ours, other, cut, strict] = await Promise.all([
      runCli(["check", p.baseUrl, "--model", "fake-model", "--json"], { timeoutMs: 110_000 }),
      runCli(["check", variant.url, "--model", "fake-model", "--json"], { timeoutMs: 110_000 }),
      runCli(["check", variant.url, "--model", "vector/length-inside-text", "--only", "max-output-tokens", "--json"], {
        timeoutMs: 110_000
      }),
      runCli(["check", variant.url, "--model", "fake-model", "--only", "stream,tool-loop", "--strict"], {
        timeoutMs: 110_000
      })
    ])
    const mine = JSON.parse(ours.stdout)
    const theirs = JSON.parse(other.stdout)
    // Every one of the 8 scenarios: no grammar violation, and the same verdicts as against Parlance itself.
    expect(theirs.scenarios).toHaveLength(8)
    for (const s of theirs.scenarios)
      expect(s, s.name).toMatchObject({ violations: 0, pass: byName(mine)[s.name].pass })
    expect(
      Object.values(byName(theirs))
        .filter((s: any) => s.pass)
        .map((s: any) => s.name)
    ).toEqual(["stream", "non-stream", "tool-call", "tool-loop", "previous-response-id"])
    // Parlance's own streams carry no warning; the variant's differences are warnings with their rule id.
    expect(mine.rules.filter((r: any) => r.severity !== "note")).toEqual([])
    expect(theirs.rules.map((r: any) => `${r.severity} ${r.id}`)).toEqual(["warning response.schema"])
    expect(theirs.rules[0].first.message).toMatch(/completed_at \(is missing\).*reasoning/)
    expect(byName(theirs).stream.warnings).toBeGreaterThan(0)
    expect(JSON.parse(cut.stdout)).toMatchObject({
      pass: true,
      scenarios: [{ name: "max-output-tokens", pass: true, violations: 0 }]
    })

    // --strict: the same streams fail, on exactly those rules.
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain("--strict: warnings count as violations")
    expect(strict.stdout).toMatch(
      /^stream\s+FAIL\s+\d+ violations\s+event #0 rule schema: response\.created: the Response does not match the strict schema at completed_at.*\[response\.schema\]/m
    )
    expect(strict.stdout).toMatch(
      /^tool-loop\s+FAIL\s+\d+ violations\s+event #0 rule schema: .*\[response\.schema\] \(call stream\)/m
    )
    expect(strict.stdout).toMatch(/^rules that fired:\n {2}violation +response\.schema +\d+×/m)
  }, 120_000)
})
