/**
 * The benchmark's participants, each in its own process (so the client, Parlance and the upstream never share
 * an event loop): `tsx bench/processes.ts upstream`, `… parlance <upstream-url> [store] [otlp-endpoint]`, `… sink` or `… baseline <upstream-url>`.
 * Prints the URL on its first stdout line, then serves until killed. Over the IPC channel (when spawned with
 * one) each answers `"stats"` with its CPU time and memory, after a full GC when `--expose-gc` is on.
 */
import { Agent, createServer, type IncomingMessage, request } from "node:http"
import { mkdtempSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Server, Upstream } from "../src/index.js"
import { startFakeUpstream } from "../test/fakeUpstream.js"

/**
 * The floor any translating proxy must pay: forward the request, parse each upstream chunk, write one delta
 * event per chunk (plus created and completed). No grammar, no snapshots, no store: the bench's baseline.
 */
const startBaseline = async (upstreamUrl: string): Promise<string> => {
  const upstream = new URL(upstreamUrl)
  const agent = new Agent({ keepAlive: true })
  const server = createServer(async (req, res) => {
    let raw = ""
    for await (const part of req) raw += part
    const body = JSON.parse(raw) as { model: string; input: string; stream?: boolean }
    const payload = JSON.stringify({
      model: body.model,
      messages: [{ role: "user", content: body.input }],
      stream: true,
      stream_options: { include_usage: true }
    })
    // The same transport as Parlance's upstream backend: node:http with a keep-alive pool.
    const answer = await new Promise<IncomingMessage>((resolve, reject) =>
      request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: `${upstream.pathname}/chat/completions`,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
        },
        resolve
      )
        .on("error", reject)
        .end(payload)
    )
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
    let seq = 0
    const event = (type: string, fields: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: seq++ })}\n\n`
    res.write(
      event("response.created", { response: { id: "resp_1", object: "response", status: "in_progress", output: [] } })
    )
    answer.setEncoding("utf8")
    let buffer = ""
    let text = ""
    for await (const part of answer) {
      buffer += part as string
      let out = ""
      let at: number
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, at)
        buffer = buffer.slice(at + 2)
        if (!frame.startsWith("data: ")) continue
        const data = frame.slice(6)
        if (data === "[DONE]") continue
        const chunk = JSON.parse(data) as { choices: Array<{ delta?: { content?: string | null } }> }
        const delta = chunk.choices[0]?.delta?.content
        if (!delta) continue
        text += delta
        out += event("response.output_text.delta", {
          item_id: "msg_1",
          output_index: 0,
          content_index: 0,
          delta,
          logprobs: []
        })
      }
      if (out !== "") res.write(out)
    }
    res.end(
      event("response.completed", {
        response: {
          id: "resp_1",
          object: "response",
          status: "completed",
          output: [{ type: "message", content: [{ type: "output_text", text }] }]
        }
      })
    )
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
}

/** An OTLP/HTTP collector that takes every export and answers success (the tracing section's sink). */
const startSink = async () => {
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

// `parlance <upstream-url> [store] [otlp]`: store `sqlite:<dir>`, a PostgreSQL URL (pg.bench.ts) or `memory`.
const [role, upstreamUrl, store, otlpEndpoint] = process.argv.slice(2)
if (role === "sink") {
  console.log(await startSink())
} else if (role === "upstream") {
  const upstream = await startFakeUpstream()
  console.log(upstream.url)
} else if (role === "baseline") {
  console.log(await startBaseline(upstreamUrl!))
} else {
  // `parlance-sqlite`: the SQLite store in a fresh directory (the background section's realistic store).
  const storeOptions =
    role === "parlance-sqlite"
      ? { store: "sqlite" as const, dataDir: mkdtempSync(join(tmpdir(), "parlance-bench-")) }
      : store === undefined || store === "memory"
        ? {}
        : store.startsWith("sqlite:")
          ? { store: "sqlite" as const, dataDir: store.slice("sqlite:".length) }
          : { store }
  const server = await Server.start({
    backend: Upstream.make({ baseUrl: upstreamUrl! }),
    port: 0,
    ...storeOptions,
    otlpEndpoint
  })
  console.log(`${server.url}/v1`)
}

const gc = (globalThis as { gc?: () => void }).gc
process.on("message", (message) => {
  if (message !== "stats") return
  // CPU first: the collection this measurement forces is not the participant's work.
  const cpu = process.cpuUsage()
  gc?.()
  const memory = process.memoryUsage()
  process.send?.({ cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed })
})

// Exit normally on SIGTERM so that `node --cpu-prof` can write its profile.
process.on("SIGTERM", () => process.exit(0))
