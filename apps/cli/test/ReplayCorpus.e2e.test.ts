/**
 * `parlance replay` on streams recorded from other servers (`../shared/corpus`, beside the repository as in
 * CI): real OpenAI output replays clean — hosted tools, re-encrypted reasoning, an error stream — and a
 * known-bad stream fails on the rules of its faults.
 */
import { describe, expect, it } from "@effect/vitest"
import { join } from "node:path"
import { runCli } from "./cliHarness.js"

const corpus = join(import.meta.dirname, "../../../../shared/corpus")

describe("parlance replay on recorded streams of other servers", () => {
  it("passes real OpenAI streams, fails a known-bad one, and --strict fails on OpenAI's departures", async () => {
    const [webSearch, encrypted, error, strict, xai] = await Promise.all([
      runCli(["replay", join(corpus, "openai/openai-web-search-tool.1.sse")], { timeoutMs: 60_000 }),
      runCli(["replay", join(corpus, "openai/openai-reasoning-encrypted-content.1.stream1.sse")], {
        timeoutMs: 60_000
      }),
      runCli(["replay", join(corpus, "openai/openai-error.1.sse")], { timeoutMs: 60_000 }),
      runCli(["replay", "--strict", join(corpus, "openai/azure-tool-call.1.sse")], { timeoutMs: 60_000 }),
      runCli(["replay", join(corpus, "known-bad/xai-x-search-tool.sse")], { timeoutMs: 60_000 })
    ])
    expect(webSearch.code).toBe(0)
    expect(webSearch.stdout).toMatch(
      /^grammar: ok \(no violations\); \d+ warning\(s\), --strict fails on them; \d+ note\(s\)$/m
    )
    expect(webSearch.stdout).toContain(
      "· #4 note: web_search_call items are not in the grammar: checked for their lifecycle only [item.unknown-type]"
    )

    expect(encrypted.code).toBe(0)
    expect(encrypted.stdout).toMatch(
      /· #\d+ note: encrypted_content \/ fingerprint differ .* \[terminal\.opaque-changed\]/
    )
    expect(encrypted.stdout).toMatch(/! #\d+ warning: added reasoning item has no status \[item\.status-missing\]/)

    expect(error.code).toBe(0)
    expect(error.stdout).toMatch(/! #3 warning: response\.failed carries usage: null \[terminal\.usage-null-failed\]/)

    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(
      /✗ #\d+ rule schema: response\.function_call_arguments\.done has no name \[call\.done-name-missing\]/
    )

    expect(xai.code).toBe(1)
    expect(xai.stdout).toMatch(
      /✗ #9 rule 2: item ws_\S+ added while item ctc_\S+ is still open \(items interleave\) \[item\.interleaved\]/
    )
    expect(xai.stdout).toMatch(
      /✗ #21 rule 2: response\.web_search_call\.completed for item ws_\S+ while item ws_\S+ is the current one \(items interleave\) \[item\.not-current\]/
    )
  }, 90_000)
})
