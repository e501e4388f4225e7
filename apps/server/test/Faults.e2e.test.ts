import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sequencer } from "@parlance/translate"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Server, Upstream } from "../src/index.js"
import { type Harness, postSse, startHarness, violations } from "./harness.js"

let h: Harness
const recordDir = mkdtempSync(join(tmpdir(), "parlance-record-"))
beforeAll(async () => {
  h = await startHarness({
    recordDir,
    bodyLimit: 64 * 1024,
    cors: ["https://app.example"],
    upstreamOptions: { connectTimeoutMs: 500, idleTimeoutMs: 500 }
  })
})
afterAll(() => h.close())

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

const expectError = async (response: Response, status: number, match: Record<string, unknown> = {}) => {
  expect(response.status).toBe(status)
  const body = await response.json()
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"])
  expect(body.error).toMatchObject(match)
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/)
  return body.error
}

describe("upstream faults before the first byte are HTTP errors with the right status", () => {
  for (const [status, expected] of [
    [500, 502],
    [502, 502],
    [503, 503],
    [429, 429],
    [400, 400]
  ] as const) {
    it(`upstream ${status} → ${expected}`, async () => {
      for (const stream of [true, false]) {
        const error = await expectError(
          await post("/v1/responses", { model: `fault/${status}`, input: "x", stream }),
          expected
        )
        expect(error.message).toContain(`fake upstream says ${status}`)
      }
    })
  }

  it("upstream down → 502", async () => {
    const backend = Upstream.make({ baseUrl: "http://127.0.0.1:9/v1" })
    const server = await Server.start({ backend, port: 0 })
    try {
      await expectError(
        await fetch(`${server.url}/v1/responses`, { method: "POST", body: JSON.stringify({ model: "m", input: "x" }) }),
        502,
        { code: "upstream_unreachable" }
      )
    } finally {
      await server.close()
    }
  })

  it("upstream timeout → 504", async () => {
    await expectError(await post("/v1/responses", { model: "fault/hang", input: "x", stream: true }), 504, {
      code: "upstream_timeout"
    })
  })
})

describe("faults after the first byte end the stream with response.failed, grammar intact", () => {
  for (const name of ["upstream-drop-mid-tool-call", "malformed-chunk", "upstream-error-mid-stream"]) {
    it(name, async () => {
      const capture = await postSse(`${h.url}/v1/responses`, { model: `vector/${name}`, input: "x", stream: true })
      expect(violations(capture)).toEqual([])
      expect(capture.events.at(-1).type).toBe("response.failed")
    })
  }

  it("an upstream that goes silent mid-stream → response.failed (upstream_timeout)", async () => {
    const capture = await postSse(`${h.url}/v1/responses`, { model: "fault/stall", input: "x", stream: true })
    expect(violations(capture)).toEqual([])
    expect(capture.events.at(-1).response).toMatchObject({ status: "failed", error: { code: "upstream_timeout" } })
  })

  it("a client disconnect aborts the upstream request", async () => {
    const before = h.upstream.aborted()
    const controller = new AbortController()
    const response = await post("/v1/responses", { model: "slow", input: "x", stream: true })
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    controller.abort()
    // A deadline, not a latency bound: `slow` would run 10 s on, uncut.
    for (const deadline = Date.now() + 8_000; Date.now() < deadline && h.upstream.aborted() === before; )
      await new Promise((r) => setTimeout(r, 20))
    expect(h.upstream.aborted()).toBe(before + 1)
  })
})

describe("bad requests", () => {
  it("invalid JSON → 400", async () => expectError(await post("/v1/responses", "{nope"), 400, { code: "invalid_json" }))
  it("a JSON array body → 400", async () => expectError(await post("/v1/responses", "[1]"), 400))
  it("too large → 413", async () =>
    expectError(await post("/v1/responses", { model: "m", input: "x".repeat(70_000) }), 413))
  it("unknown route → 404", async () => expectError(await fetch(`${h.url}/v1/nothing`), 404))
  it("unknown item type → 400 naming it", async () =>
    expectError(await post("/v1/responses", { model: "m", input: [{ type: "mystery" }] }), 400, {
      param: "input[0].type"
    }))
  it("input_file → 400 naming it", async () =>
    expectError(
      await post("/v1/responses", {
        model: "m",
        input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }]
      }),
      400,
      { param: "input[0].content[0]" }
    ))
  it("background without the store → 400 naming store (a background response is read back)", async () =>
    expectError(await post("/v1/responses", { model: "m", input: "x", background: true, store: false }), 400, {
      param: "store"
    }))
  it("built-in tools are skipped by default", async () => {
    const response = await post("/v1/responses", { model: "fake-model", input: "x", tools: [{ type: "web_search" }] })
    expect(response.status).toBe(200)
    expect(h.upstream.requests.at(-1).tools).toBeUndefined()
  })
  it("cancel of an unknown response → 404", async () => expectError(await post("/v1/responses/resp_x/cancel", {}), 404))
  it("input_items with a bad limit → 400", async () => {
    const created = await (await post("/v1/responses", { model: "fake-model", input: "x" })).json()
    await expectError(await fetch(`${h.url}/v1/responses/${created.id}/input_items?limit=0`), 400, { param: "limit" })
  })
})

describe("operations", () => {
  it("--max-output-tokens caps requests that set no limit, and only those", async () => {
    const capped = await startHarness({ defaultMaxOutputTokens: 7 })
    try {
      const post = (body: unknown) =>
        fetch(`${capped.url}/v1/responses`, { method: "POST", body: JSON.stringify(body) })
      expect((await post({ model: "fake-model", input: "x" })).status).toBe(200)
      expect(capped.upstream.requests.at(-1).max_tokens).toBe(7)
      await post({ model: "fake-model", input: "x", max_output_tokens: 50 })
      expect(capped.upstream.requests.at(-1).max_tokens).toBe(50)
    } finally {
      await capped.close()
    }
  })

  it("/health and /metrics", async () => {
    expect(await (await fetch(`${h.url}/health`)).json()).toMatchObject({ status: "ok", backend: "upstream" })
    const text = await (await fetch(`${h.url}/metrics`)).text()
    expect(text).toMatch(/parlance_requests_total\{route="\/v1\/responses",status="200"\} \d+/)
    expect(text).toMatch(/parlance_tokens_total\{kind="input"\} [1-9]/)
    expect(text).toMatch(/parlance_time_to_first_token_seconds_count [1-9]/)
    expect(text).toContain("parlance_active_streams 0")
  })

  it("CORS preflight for an allowed origin", async () => {
    const response = await fetch(`${h.url}/v1/responses`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" }
    })
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example")
  })

  it("--record-dir writes a replayable recording of chunks and events", async () => {
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "vector/two-consecutive-tool-calls",
      input: "x",
      stream: true
    })
    const id = capture.events[0].response.id
    // The recorder writes after the stream ends, off the hot path: wait for both files (a fixed 50 ms was flaky under load).
    for (
      let waited = 0;
      waited < 5_000 && !["json", "sse"].every((ext) => readdirSync(recordDir).includes(`${id}.${ext}`));
      waited += 20
    ) {
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(readdirSync(recordDir)).toContain(`${id}.json`)
    const recording = JSON.parse(readFileSync(join(recordDir, `${id}.json`), "utf8"))
    expect(readFileSync(join(recordDir, `${id}.sse`), "utf8")).toContain("event: response.completed")
    const ids = [...recording.context.ids]
    const replayed = Sequencer.run(
      {
        responseId: recording.context.responseId,
        createdAt: recording.context.createdAt,
        clock: () => recording.context.clock[0],
        model: recording.context.model,
        ids: () => ids.shift(),
        echo: recording.context.echo,
        tools: new Map(Object.entries(recording.context.tools)),
        reasoning: recording.context.reasoning
      },
      [...recording.chunks, ...(recording.outcome ? [recording.outcome] : [])]
    )
    expect(replayed.events).toEqual(capture.events)
  })
})
