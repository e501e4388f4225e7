/**
 * The upstream connection is kept: a completion read to its `[DONE]` leaves its socket in the keep-alive pool,
 * so that the next generation does not pay for a new connection (the hot path, issue 11).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server as HttpServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Server, Upstream } from "../src/index.js"

let connections = 0
let upstream: HttpServer
let server: Server.RunningServer
beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      res.write(chunk({ role: "assistant", content: "hi" }, null))
      res.end(`${chunk({}, "stop")}data: [DONE]\n\n`)
    })
  })
  upstream.on("connection", () => connections++)
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
  const port = (upstream.address() as AddressInfo).port
  server = await Server.start({ backend: Upstream.make({ baseUrl: `http://127.0.0.1:${port}/v1` }), port: 0 })
})
afterAll(async () => {
  await server.close()
  upstream.closeAllConnections()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})

describe("the upstream connection", () => {
  it("serves one generation after another, streamed or not, on one socket", async () => {
    for (const stream of [false, true, false, true]) {
      const response = await fetch(`${server.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: "x", stream })
      })
      expect(response.status).toBe(200)
      const text = await response.text()
      expect(text).toContain(stream ? "response.completed" : '"status":"completed"')
      // The drain of the body's last bytes happens after the answer; give the socket time to go back. Then a few
      // turns of the event loop's I/O phase: after a stall of a loaded machine the timer fires first, before the
      // reads that arrived meanwhile are handled.
      await new Promise((r) => setTimeout(r, 50))
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    }
    expect(connections).toBe(1)
  })
})
