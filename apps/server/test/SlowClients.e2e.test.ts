/**
 * Slow clients do not hold sockets ("Slow clients hold sockets"): forty sockets sending their headers a byte
 * at a time were all still open after 75 s. With `headersTimeoutMs`, each is closed shortly after the limit
 * (a 408); with `requestTimeoutMs`, so is a body that dribbles in. Meanwhile a normal request is answered, and
 * a response that streams for longer than both limits is not cut.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { connect } from "node:net"
import { ServerConfig } from "../src/index.js"
import { type Harness, postSse, startHarness } from "./harness.js"

const headersTimeoutMs = 1_000
const requestTimeoutMs = 2_000

let h: Harness
let port: number
beforeAll(async () => {
  h = await startHarness({ headersTimeoutMs, requestTimeoutMs })
  port = h.server.port
})
afterAll(() => h.close())

interface Dribbled {
  /** From the first byte sent to the socket's close. */
  readonly closedAfterMs: number
  /** What the server wrote before closing. */
  readonly received: string
}

/** Sends `head` at once, then `trickle` one byte every 100 ms (round and round) until the server closes. */
const dribble = (head: string, trickle: string): Promise<Dribbled> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    const started = Date.now()
    let received = ""
    let at = 0
    let timer: ReturnType<typeof setInterval> | undefined
    socket.setEncoding("utf8")
    socket.on("connect", () => {
      socket.write(head)
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(trickle[at++ % trickle.length]!)
      }, 100)
    })
    socket.on("data", (data: string) => (received += data))
    // A write racing the close may fail: the close is what is measured.
    socket.on("error", () => undefined)
    socket.on("close", () => {
      clearInterval(timer)
      resolve({ closedAfterMs: Date.now() - started, received })
    })
    // The test's own bound: a socket still open after 10 s fails it.
    setTimeout(() => {
      if (socket.destroyed) return
      clearInterval(timer)
      socket.destroy()
      reject(new Error("the server kept the dribbling socket open for 10 s"))
    }, 10_000).unref()
  })

describe("slow clients", () => {
  it("40 sockets dribbling header bytes are closed shortly after the headers timeout, while a normal request is answered", {
    timeout: 20_000
  }, async () => {
    const sockets = Array.from({ length: 40 }, () =>
      dribble("GET /health HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n")
    )
    // Meanwhile, the server answers as usual.
    await new Promise((r) => setTimeout(r, 300))
    const health = await fetch(`${h.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: "ok" })
    const results = await Promise.all(sockets)
    for (const result of results) {
      expect(result.closedAfterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50)
      expect(result.received).toMatch(/^HTTP\/1\.1 408 /)
    }
    // The limit, plus Node's check interval (a quarter of the limit here): judged by the median, so that a
    // loaded machine's stall does not decide; every socket within seconds of it (without the limit's own check
    // interval, Node's default is 30 s, and the test's 10 s bound fails it).
    const closed = results.map((r) => r.closedAfterMs).sort((x, y) => x - y)
    expect(closed[closed.length >> 1]!).toBeLessThan(headersTimeoutMs + 1_000)
    expect(closed.at(-1)!).toBeLessThan(headersTimeoutMs + 5_000)
  })

  it("a body dribbled in is cut at the request timeout", { timeout: 20_000 }, async () => {
    const head =
      "POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    const results = await Promise.all(
      Array.from({ length: 5 }, () => dribble(head, '{"model":"m","input":"' + "x".repeat(100)))
    )
    for (const result of results) expect(result.closedAfterMs).toBeGreaterThanOrEqual(requestTimeoutMs - 50)
    // Five at once, judged by the median (a stall of a loaded machine does not decide); each within seconds.
    const closed = results.map((r) => r.closedAfterMs).sort((x, y) => x - y)
    expect(closed[2]!).toBeLessThan(requestTimeoutMs + 1_000)
    expect(closed.at(-1)!).toBeLessThan(requestTimeoutMs + 5_000)
  })

  it("a response streaming for longer than both limits is not cut", { timeout: 20_000 }, async () => {
    const started = Date.now()
    // 30 tokens, 100 ms apart: 3 s of streaming.
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "bench/30/100",
      input: "take your time",
      stream: true
    })
    expect(capture.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThan(requestTimeoutMs)
    expect(capture.events.at(-1)?.type).toBe("response.completed")
  })

  it("the limits are checked before the server starts", () => {
    expect(ServerConfig.validateTimeouts({})).toBeUndefined()
    expect(ServerConfig.validateTimeouts({ headersTimeoutMs: 0, requestTimeoutMs: 0 })).toBeUndefined()
    expect(ServerConfig.validateTimeouts({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toMatch(
      /must not exceed/
    )
    expect(ServerConfig.validateTimeouts({ headersTimeoutMs: -1 })).toMatch(/whole number/)
    expect(ServerConfig.make({}).headersTimeoutMs).toBe(30_000)
    expect(ServerConfig.make({}).requestTimeoutMs).toBe(300_000)
  })
})
