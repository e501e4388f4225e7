/**
 * Backpressure on the hot path (issue 11): a client that stops reading a stream stops the upstream too — the
 * SSE body is pulled as the client takes it, and unread bytes past the Source's limit pause the upstream
 * socket — so a fast upstream and a slow client never pile the whole completion up in the server. Read
 * again, the stream goes on to its end, grammar intact.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import { createServer, type Server as HttpServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { Server, Upstream } from "../src/index.js"

const FRAMES = 12_000
/**
 * ~5 KB a token, so that the completion (~62 MB) is far bigger than every buffer on the way. Loopback sockets
 * autotune their buffers (up to tcp_rmem's 32 MB max here): 11.8 MB ran ahead once on a loaded CI machine,
 * against half of the ~22 MB this test used to send. What runs ahead is bytes, not tokens, so fewer, larger
 * tokens keep the test's time while widening the margin.
 */
const pad = "x".repeat(5000)
let written = 0
let total = 0
let upstream: HttpServer
let server: Server.RunningServer
beforeAll(async () => {
  // An upstream that writes as fast as its socket takes it (it waits for `drain`, as a real server does).
  upstream = createServer((req, res) => {
    req.resume()
    req.on("end", async () => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      const frame = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      res.write(frame({ role: "assistant", content: "" }, null))
      total = 0
      for (let i = 0; i < FRAMES; i++) total += frame({ content: `token${i} ${pad}` }, null).length
      for (let i = 0; i < FRAMES; i++) {
        const text = frame({ content: `token${i} ${pad}` }, null)
        written += text.length
        if (!res.write(text)) await new Promise((resolve) => res.once("drain", resolve))
      }
      res.end(`${frame({}, "stop")}data: [DONE]\n\n`)
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
  const port = (upstream.address() as AddressInfo).port
  server = await Server.start({ backend: Upstream.make({ baseUrl: `http://127.0.0.1:${port}/v1` }), port: 0 })
})
afterAll(async () => {
  await server.close()
  upstream.closeAllConnections()
  await new Promise((resolve) => upstream.close(resolve))
})

describe("a client that stops reading", () => {
  it("holds the upstream back, and gets the whole stream once it reads again", async () => {
    const body = JSON.stringify({ model: "m", input: "hi", stream: true, store: false })
    const chunks: Array<Buffer> = []
    const client = { destroy: () => {} }
    onTestFinished(() => client.destroy())
    const answer = await new Promise<import("node:http").IncomingMessage>((resolve, reject) =>
      request(
        `${server.url}/v1/responses`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        resolve
      )
        .on("error", reject)
        .end(body)
    )
    client.destroy = () => answer.destroy()
    expect(answer.statusCode).toBe(200)
    // Read the first bytes, then stop reading for a while.
    await new Promise<void>((resolve) =>
      answer.on("data", (part: Buffer) => {
        chunks.push(part)
        resolve()
      })
    )
    answer.pause()
    // Until the upstream stops (the buffers on the way are full): no byte written in two 300 ms windows in a row
    // (one could end in a stall, before the I/O behind it ran), 20 s at most: a loaded machine fills them slowly.
    // Without backpressure it never stops short of the end (checked below).
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    for (let quiet = 0, deadline = Date.now() + 20_000; quiet < 2 && Date.now() < deadline && written < total; ) {
      const seen = written
      await sleep(300)
      quiet = written === seen ? quiet + 1 : 0
    }
    const stopped = written
    await sleep(700)
    // Unread, the upstream ran ahead only by the buffers in between (the Source's 1 MiB, the sockets', the
    // response's), then stopped: not to the end of its ~22 MB, and not a byte more while the client waited.
    expect(stopped).toBeLessThan(total / 2)
    expect(written - stopped).toBeLessThan(64 * 1024)
    // Read again: everything arrives, one terminal event, grammar intact.
    answer.resume()
    await new Promise((resolve) => answer.once("end", resolve))
    const events = Buffer.concat(chunks)
      .toString("utf8")
      .split("\n\n")
      .filter((frame) => frame.includes("data: "))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6)))
    expect(written).toBe(total)
    expect(events.at(-1).type).toBe("response.completed")
    expect(events.filter((e) => e.type === "response.output_text.delta").length).toBeGreaterThan(FRAMES / 2)
    expect(validateStream(events)).toEqual([])
  }, 60_000)
})
