import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import { Sse } from "@parlance/translate"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { freePort, type Parlance, runCli, startParlance, tempDir } from "./cliHarness.js"
import { startFaultyServer } from "./llamaFaultyStream.js"

let p: Parlance
let faulty: Awaited<ReturnType<typeof startFaultyServer>>
beforeAll(async () => {
  p = await startParlance()
  faulty = await startFaultyServer()
})
afterAll(async () => {
  await p.close()
  await faulty.close()
})

/** The CLI, with room for a loaded machine (each run makes up to a dozen requests). */
const check = (args: ReadonlyArray<string>) => runCli(["check", ...args], { timeoutMs: 110_000 })

const byName = (report: any) => Object.fromEntries(report.scenarios.map((s: any) => [s.name, s]))

describe("parlance check", () => {
  it("judges our server, a llama.cpp-style broken server and an unreachable one", async () => {
    const save = tempDir("check-save")
    const closed = await freePort()
    const [ours, twoCalls, cut, broken, brokenTable, down] = await Promise.all([
      check([p.baseUrl, "--model", "fake-model", "--json", "--save", save]),
      check([p.baseUrl, "--model", "vector/two-consecutive-tool-calls", "--only", "consecutive-tool-calls"]),
      check([p.baseUrl, "--model", "vector/length-inside-text", "--only", "max-output-tokens", "--json"]),
      check([faulty.url, "--model", "llama", "--json", "--only", "consecutive-tool-calls,stream"]),
      check([faulty.url, "--model", "llama", "--only", "consecutive-tool-calls"]),
      check([`http://127.0.0.1:${closed}/v1`, "--model", "m"])
    ])

    // Our server: every stream obeys the grammar; what the fake's scripted model cannot do fails with a reason.
    const report = JSON.parse(ours.stdout)
    const s = byName(report)
    expect(report.scenarios.every((x: any) => x.violations === 0)).toBe(true)
    for (const name of ["stream", "non-stream", "tool-call", "tool-loop", "previous-response-id"])
      expect(s[name], name).toMatchObject({ pass: true })
    // The fake calls only the first tool, ignores response_format and max_tokens: honest failures, not crashes.
    expect(s["consecutive-tool-calls"]).toMatchObject({
      pass: false,
      reason: "1 function call(s) in the output, expected 2"
    })
    expect(s["json-schema"]).toMatchObject({
      pass: false,
      reason: expect.stringMatching(/^the output_text is not JSON: "echo: /)
    })
    expect(s["max-output-tokens"]).toMatchObject({
      pass: false,
      reason: expect.stringContaining("ended with response.completed")
    })
    expect(s["tool-loop"].requests).toBe(2)
    expect(ours.code).toBe(1)
    // Progress goes to stderr, one line a scenario; every request carried the default output cap.
    expect(ours.stderr).toMatch(/^stream: pass$/m)
    expect(ours.stderr).toMatch(/^json-schema: FAIL$/m)
    expect(p.upstream.requests.some((r) => r.max_tokens === 1024)).toBe(true)
    expect(p.upstream.requests.some((r) => r.max_tokens === 16)).toBe(true)

    // --save: each scenario's raw SSE, exactly as received (it re-validates clean, event names included).
    const files = readdirSync(save).sort()
    expect(files).toEqual(
      expect.arrayContaining([
        "stream.sse",
        "non-stream.sse",
        "non-stream.json",
        "tool-loop.call.sse",
        "tool-loop.sse",
        "previous-response-id.turn1.sse",
        "max-output-tokens.sse"
      ])
    )
    const messages = Sse.decodeText(readFileSync(join(save, "tool-loop.sse"), "utf8"))
    expect(
      validateStream(
        messages.map((m) => JSON.parse(m.data)),
        { eventNames: messages.map((m) => m.event), strict: true }
      )
    ).toEqual([])

    // With models the fake can serve for them, those scenarios pass.
    expect(twoCalls.code).toBe(0)
    expect(twoCalls.stdout).toMatch(/consecutive-tool-calls\s+pass/)
    expect(twoCalls.stdout).toContain("1/1 scenarios passed; 1/1 with every stream grammar-clean")
    expect(cut.code).toBe(0)
    expect(JSON.parse(cut.stdout)).toMatchObject({ pass: true, scenarios: [{ name: "max-output-tokens", pass: true }] })

    // The broken server: its grammar violations are reported with index, rule and message; exit 1.
    expect(broken.code).toBe(1)
    const b = byName(JSON.parse(broken.stdout))
    expect(b["consecutive-tool-calls"]).toMatchObject({
      pass: false,
      firstViolation: { index: 6, rule: "3", capture: "" }
    })
    expect(b["consecutive-tool-calls"].violations).toBeGreaterThan(5)
    expect(b.stream).toMatchObject({ pass: false })
    expect(brokenTable.code).toBe(1)
    expect(brokenTable.stdout).toMatch(
      /consecutive-tool-calls\s+FAIL\s+\d+ violations\s+event #6 rule 3: .*item_id "fc_0002", the open item is fc_0001.*\(\+\d+ more\)/
    )

    // Unreachable: a clear message and a distinct non-zero status.
    expect(down.code).toBe(2)
    expect(down.stderr).toMatch(
      new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${closed}/v1/responses: .*ECONNREFUSED`, "m")
    )
    expect(existsSync(save)).toBe(true)
    // several CLIs spawned at once: generous on a shared CI machine
  }, 120_000)
})
