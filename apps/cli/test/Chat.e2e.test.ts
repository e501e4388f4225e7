import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { freePort, type Parlance, runCli, startParlance } from "./cliHarness.js"

let p: Parlance
beforeAll(async () => {
  p = await startParlance()
})
afterAll(() => p.close())

describe("parlance chat (piped stdin, real server in front of the fake upstream)", () => {
  it("streams answers, chains turns with previous_response_id, renders tool calls and reasoning, survives errors", async () => {
    const closed = await freePort()
    const [plain, tools, fault, down] = await Promise.all([
      runCli(["chat", "--base-url", p.baseUrl, "--model", "fake-model", "--instructions", "Be brief."], {
        input: "hello there\nand a second turn\n/exit\nnever sent\n"
      }),
      runCli(["chat", "--base-url", p.baseUrl, "--model", "vector/reasoning-then-tool-call"], { input: "go\n" }),
      runCli(["chat", "--base-url", p.baseUrl, "--model", "fault/429"], { input: "one\ntwo\n" }),
      runCli(["chat", "--base-url", `http://127.0.0.1:${closed}/v1`, "--model", "m"], { input: "anyone?\n" })
    ])

    // Turn 1: system + user = 2 messages; turn 2 replays turn 1 through previous_response_id: 4 messages.
    expect(plain.code).toBe(0)
    expect(plain.stdout).toBe("echo: hello there (messages: 2)\necho: and a second turn (messages: 4)\n")
    expect(plain.stderr).toBe("")
    const turns = p.upstream.requests.filter((r) => r.messages?.some((m: any) => m.content === "hello there"))
    expect(turns.map((r) => r.messages.length)).toEqual([2, 4])
    expect(JSON.stringify(p.upstream.requests)).not.toContain("never sent")

    // Reasoning (not dimmed: stdout is not a TTY) then the tool call with its arguments.
    expect(tools.code).toBe(0)
    expect(tools.stdout).toMatch(/^thinking: .+\n→ \w+\(\{.*\}\)\n$/s)
    expect(tools.stdout).not.toContain("\x1b[")

    // An OpenAI error body is shown on stderr for each turn, and the chat goes on to EOF.
    expect(fault.code).toBe(0)
    expect(fault.stderr.match(/error: HTTP 429 .*fake upstream says 429/g)).toHaveLength(2)

    expect(down.code).toBe(0)
    expect(down.stderr).toMatch(
      new RegExp(`error: cannot reach http://127\\.0\\.0\\.1:${closed}/v1/responses: .*ECONNREFUSED`)
    )
  })
})
