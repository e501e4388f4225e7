/**
 * What clients learn when the upstream fails — what happened, with a stable code, never where the upstream
 * is — and what a client that leaves while the upstream is stalled frees: the upstream request at once, not
 * at the idle timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Server, Upstream } from "../src/index.js"
import { type Harness, postSse, startHarness } from "./harness.js"

let h: Harness
beforeAll(async () => {
  // An idle timeout far longer than any wait below: what ends a stall here is the client leaving.
  h = await startHarness({ upstreamOptions: { idleTimeoutMs: 60_000 } })
})
afterAll(() => h.close())

const until = async (condition: () => boolean, ms: number) => {
  const deadline = Date.now() + ms
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  return condition()
}

describe("upstream errors say what happened, and nothing more", () => {
  it("an unreachable upstream: a stable code, and no address in the message", async () => {
    const server = await Server.start({ backend: Upstream.make({ baseUrl: "http://127.0.0.1:9/v1" }), port: 0 })
    try {
      for (const path of ["/v1/responses", "/v1/chat/completions"]) {
        const response = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", input: "x", messages: [{ role: "user", content: "x" }] })
        })
        expect(response.status).toBe(502)
        const text = await response.text()
        expect(JSON.parse(text)).toEqual({
          error: {
            message: "The upstream server is unreachable.",
            type: "server_error",
            param: null,
            code: "upstream_unreachable"
          }
        })
        expect(text).not.toMatch(/127\.0\.0\.1|:9\b|ECONNREFUSED|fetch failed/)
      }
      const models = await fetch(`${server.url}/v1/models`)
      expect(models.status).toBe(502)
      expect(await models.text()).not.toMatch(/127\.0\.0\.1/)
    } finally {
      await server.close()
    }
  })

  it('an upstream 500 whose error code is null: a 502 with a real code, never the string "null"', async () => {
    for (const stream of [true, false]) {
      const response = await fetch(`${h.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fault/500", input: "x", stream })
      })
      expect(response.status).toBe(502)
      const { error } = await response.json()
      expect(error.code).toBe("upstream_error")
      expect(error.message).not.toContain(h.upstream.url)
    }
  })

  it("an upstream that refuses our key: 502 upstream_auth_failed, no hint about the server's flags", async () => {
    const response = await fetch(`${h.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fault/401", input: "x" })
    })
    expect(response.status).toBe(502)
    const { error } = await response.json()
    expect(error.code).toBe("upstream_auth_failed")
    expect(error.message).not.toMatch(/--upstream|127\.0\.0\.1/)
  })

  it("a stream that breaks: response.failed says so without the address", async () => {
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "vector/upstream-drop-mid-tool-call",
      input: "x",
      stream: true
    })
    expect(capture.status).toBe(200)
    const terminal = capture.events.at(-1)
    expect(terminal.type).toBe("response.failed")
    expect(terminal.response.error.code).toBe("upstream_disconnected")
    expect(JSON.stringify(terminal.response.error)).not.toMatch(/127\.0\.0\.1/)
  })
})

describe("a client that leaves while the upstream is stalled", () => {
  it("streaming: the upstream request is aborted at once and the stream count drops", async () => {
    const before = h.upstream.aborted()
    const controller = new AbortController()
    const response = await fetch(`${h.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fault/stall", input: "x", stream: true }),
      signal: controller.signal
    })
    const reader = response.body!.getReader()
    await reader.read() // the first events: the stall has begun
    expect(h.server.metrics.activeStreams()).toBe(1)
    const left = Date.now()
    controller.abort()
    expect(await until(() => h.upstream.aborted() === before + 1, 10_000)).toBe(true)
    expect(await until(() => h.server.metrics.activeStreams() === 0, 10_000)).toBe(true)
    // The client leaving ends it, not the 60 s idle timeout: seconds of slack for a loaded machine.
    expect(Date.now() - left).toBeLessThan(10_000)
  })

  it("not streaming: the same", async () => {
    const before = h.upstream.aborted()
    const controller = new AbortController()
    const pending = fetch(`${h.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fault/stall", input: "x" }),
      signal: controller.signal
    }).catch(() => "left")
    expect(await until(() => h.server.metrics.activeStreams() === 1, 10_000)).toBe(true)
    controller.abort()
    expect(await pending).toBe("left")
    // Deadlines far below the 60 s idle timeout, which would end the stall without the client leaving.
    expect(await until(() => h.upstream.aborted() === before + 1, 10_000)).toBe(true)
    expect(await until(() => h.server.metrics.activeStreams() === 0, 10_000)).toBe(true)
  })
})
