/**
 * Codex's "Responses Lite" (Codex 0.171): the same turn as the classic request, with the tools only in an
 * `additional_tools` developer item, the base instructions only as a developer message, `instructions` empty,
 * `reasoning.context: "all_turns"`, `parallel_tool_calls: false`, and the Lite marker (an HTTP header, and a
 * `client_metadata` key over WebSocket). Both shapes go through the real server to the fake upstream, and the
 * backend must be asked exactly the same thing.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { supportsWebSockets } from "../src/internal/http/catalog.js"
import { type Harness, startHarness } from "./harness.js"

/** A classic Codex CLI request (its instructions, tools, developer messages, reasoning and a tool round). */
const classic: Record<string, any> = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../packages/translate/test/fixtures/requests/codex-cli.json"), "utf8")
)

/** The same turn as Codex builds it with `use_responses_lite` (codex-rs: `ResponsesApiRequest` for a Lite model). */
const lite = (request: Record<string, any>): Record<string, unknown> => {
  const { tools, instructions, ...rest } = request
  return {
    ...rest,
    instructions: "",
    parallel_tool_calls: false,
    reasoning: { ...request.reasoning, context: "all_turns" },
    client_metadata: { ws_request_header_x_openai_internal_codex_responses_lite: "true" },
    input: [
      { type: "additional_tools", role: "developer", tools },
      { type: "message", role: "developer", content: [{ type: "input_text", text: instructions }] },
      ...request.input
    ]
  }
}

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const send = async (body: unknown, headers: Record<string, string> = {}) => {
  const before = h.upstream.requests.length
  const response = await fetch(`${h.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ ...(body as object), stream: false })
  })
  expect(response.status, await response.clone().text()).toBe(200)
  expect(h.upstream.requests.length).toBe(before + 1)
  return h.upstream.requests.at(-1)
}

describe("Codex Responses Lite", () => {
  it("reaches the backend with the same tools and instructions as the classic request", async () => {
    // The Lite contract turns parallel tool calls off; the classic request of this turn has them off too.
    expect(classic.parallel_tool_calls).toBe(false)
    expect(classic.tools.length).toBeGreaterThan(0)
    const asClassic = await send(classic)
    const asLite = await send(lite(classic), { "x-openai-internal-codex-responses-lite": "true" })
    // The fixture's function, custom and namespace tools (its hosted ones are skipped either way).
    expect(asClassic.tools.map((t: any) => t.function.name)).toEqual([
      "shell",
      "apply_patch",
      "github__list_issues",
      "github__get_issue"
    ])
    expect(asClassic.messages[0]).toEqual({ role: "system", content: classic.instructions })
    expect(asLite).toEqual(asClassic)
  })

  it("tools declared again in a later additional_tools item keep their first declaration", async () => {
    const body = lite(classic) as { input: Array<unknown> }
    const again = { ...body, input: [...body.input, body.input[0]] }
    expect(await send(again)).toEqual(await send(classic))
  })
})

describe("the Codex catalog", () => {
  it("states use_responses_lite, supports_websockets and prefer_websockets", async () => {
    const body = await (await fetch(`${h.url}/v1/models?client_version=0.171.0`)).json()
    expect(body.models.length).toBeGreaterThan(0)
    for (const model of body.models) {
      expect(model).toMatchObject({
        use_responses_lite: false,
        supports_websockets: supportsWebSockets,
        prefer_websockets: false
      })
    }
  })
})
