/**
 * Traces: the real `parlance serve --config … --otlp-endpoint URL` in front of two fake upstreams, exporting to an
 * OTLP/HTTP receiver in this test. The receiver takes what the SDK's exporter really sends — OTLP/JSON
 * (`application/json`, ids as hex) — and reads it through the OTLP request types of `@opentelemetry/otlp-transformer`
 * (the shapes the exporter serialises from). The span tree: the client's `traceparent` → the HTTP request →
 * `chat <model>` → a backend attempt per backend tried (the fallback decision on the first) and the store writes.
 */
import type { IAnyValue, IKeyValue } from "@opentelemetry/otlp-transformer/build/src/common/internal-types.js"
import type {
  IExportTraceServiceRequest,
  ISpan
} from "@opentelemetry/otlp-transformer/build/src/trace/internal-types.js"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { tempDir } from "./cliHarness.js"
import { type Served, serveParlance } from "./spawnServe.js"

interface Received {
  readonly contentType: string | undefined
  readonly path: string | undefined
  readonly spans: Array<ISpan>
}

let one: FakeUpstream
let two: FakeUpstream
let receiver: Server
const received: Array<Received> = []
let served: Served

const anyValue = (value: IAnyValue | undefined): unknown =>
  value === undefined
    ? undefined
    : (value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined && value.intValue !== null ? Number(value.intValue) : undefined) ??
      value.doubleValue ??
      value.arrayValue?.values.map(anyValue))
const attributes = (span: ISpan): Record<string, unknown> =>
  Object.fromEntries(span.attributes.map((a: IKeyValue) => [a.key, anyValue(a.value)]))

beforeAll(async () => {
  one = await startFakeUpstream()
  two = await startFakeUpstream()
  receiver = createServer((req, res) => {
    const body: Array<Buffer> = []
    req.on("data", (d) => body.push(d))
    req.on("end", () => {
      const contentType = req.headers["content-type"]
      // OTLP/JSON: an ExportTraceServiceRequest; anything else is recorded without spans (and the test fails).
      const request: IExportTraceServiceRequest | undefined =
        contentType === "application/json" ? JSON.parse(Buffer.concat(body).toString("utf8")) : undefined
      received.push({
        contentType,
        path: req.url,
        spans: (request?.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []))
      })
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ partialSuccess: {} }))
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  const dir = tempDir("tracing")
  const file = join(dir, "parlance.yaml")
  writeFileSync(
    file,
    `models:
  - name: limited-first
    backends:
      - upstream: ${one.url}
        model: fault/429
      - upstream: ${two.url}
        model: echo-two
`
  )
  const port = (receiver.address() as AddressInfo).port
  served = await serveParlance(["--config", file, "--otlp-endpoint", `http://127.0.0.1:${port}`])
}, 60_000)

afterAll(async () => {
  expect(await served?.stop()).toBe(0)
  await one?.close()
  await two?.close()
  receiver?.close()
})

it("exports the span tree over OTLP/HTTP, under the client's traceparent, with GenAI attributes", async () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
  const clientSpan = "00f067aa0ba902b7"
  const answer = await fetch(`${served.baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", traceparent: `00-${traceId}-${clientSpan}-01` },
    body: JSON.stringify({ model: "limited-first", input: "hi" })
  })
  expect(answer.status).toBe(200)
  const body = await answer.json()

  // The batch leaves within half a second; the final store write ends the tree.
  const deadline = Date.now() + 15_000
  const spans = () => received.flatMap((r) => r.spans).filter((s) => s.traceId === traceId)
  while (Date.now() < deadline && spans().filter((s) => s.name === "parlance.store.write").length < 2)
    await new Promise((r) => setTimeout(r, 100))

  expect(received.length).toBeGreaterThan(0)
  for (const r of received) {
    expect(r.contentType).toBe("application/json")
    expect(r.path).toBe("/v1/traces")
  }
  const tree = spans()
  for (const span of tree) {
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(String(span.endTimeUnixNano) >= String(span.startTimeUnixNano)).toBe(true)
  }
  const byName = (name: string) => tree.filter((s) => s.name === name)

  const [http] = tree.filter((s) => s.parentSpanId === clientSpan)
  expect(http, "the HTTP request's span, parented by the client's traceparent").toBeDefined()
  expect(attributes(http!)["http.request.method"]).toBe("POST")

  const [generation] = byName("chat limited-first")
  expect(generation!.parentSpanId).toBe(http!.spanId)
  const g = attributes(generation!)
  expect(g["gen_ai.operation.name"]).toBe("chat")
  expect(g["gen_ai.request.model"]).toBe("limited-first")
  expect(g["gen_ai.response.id"]).toBe(body.id)
  expect(g["gen_ai.usage.input_tokens"]).toBe(body.usage.input_tokens)
  expect(g["gen_ai.usage.output_tokens"]).toBe(body.usage.output_tokens)
  expect(g["gen_ai.usage.cache_read.input_tokens"]).toBe(0)
  expect(g["gen_ai.response.finish_reasons"]).toEqual(["stop"])
  expect(g["parlance.backend"]).toBe(`upstream:${new URL(two.url).host}`)
  expect(typeof g["gen_ai.server.time_to_first_token"]).toBe("number")

  const attempts = byName("parlance.backend.attempt").sort((a, b) =>
    String(a.startTimeUnixNano).localeCompare(String(b.startTimeUnixNano))
  )
  expect(attempts.map((a) => a.parentSpanId)).toEqual([generation!.spanId, generation!.spanId])
  const [first, second] = attempts.map(attributes)
  expect(first).toMatchObject({
    "parlance.backend": `upstream:${new URL(one.url).host}`,
    "gen_ai.request.model": "fault/429",
    "parlance.fallback": true,
    "error.type": "rate_limit_exceeded"
  })
  expect(attempts[0]!.status?.code).toBe(2) // STATUS_CODE_ERROR
  expect(second).toMatchObject({
    "parlance.backend": `upstream:${new URL(two.url).host}`,
    "gen_ai.request.model": "echo-two"
  })
  expect(second!["parlance.fallback"]).toBeUndefined()

  const writes = byName("parlance.store.write")
  expect(writes.map((w) => w.parentSpanId)).toEqual([generation!.spanId, generation!.spanId])
}, 60_000)

it("traces /v1/chat/completions the same way: chat <model> under the request, attempts under it, tokens at the end", async () => {
  const traceId = "5cf92f3577b34da6a3ce929d0e0e4737"
  const clientSpan = "10f067aa0ba902b8"
  const answer = await fetch(`${served.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", traceparent: `00-${traceId}-${clientSpan}-01` },
    body: JSON.stringify({
      model: "limited-first",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true }
    })
  })
  expect(answer.status).toBe(200)
  const frames = (await answer.text())
    .split("\n\n")
    .filter((f) => f.startsWith("data: {"))
    .map((f) => JSON.parse(f.slice(6)))
  const usage = frames.filter((f) => f.usage != null).at(-1).usage

  const spans = () => received.flatMap((r) => r.spans).filter((s) => s.traceId === traceId)
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !spans().some((s) => s.name === "chat limited-first"))
    await new Promise((r) => setTimeout(r, 100))
  const tree = spans()
  const [http] = tree.filter((s) => s.parentSpanId === clientSpan)
  expect(http).toBeDefined()
  const [generation] = tree.filter((s) => s.name === "chat limited-first")
  expect(generation!.parentSpanId).toBe(http!.spanId)
  const g = attributes(generation!)
  expect(g["gen_ai.operation.name"]).toBe("chat")
  // The id the client saw (the chunks'), not one of Parlance's own making.
  expect(g["gen_ai.response.id"]).toBe(frames[0].id)
  expect(g["parlance.stream"]).toBe(true)
  expect(g["gen_ai.usage.input_tokens"]).toBe(usage.prompt_tokens)
  expect(g["gen_ai.usage.output_tokens"]).toBe(usage.completion_tokens)
  expect(g["gen_ai.response.finish_reasons"]).toEqual(["stop"])
  expect(g["parlance.backend"]).toBe(`upstream:${new URL(two.url).host}`)
  expect(typeof g["gen_ai.server.time_to_first_token"]).toBe("number")
  expect(generation!.status?.code).not.toBe(2)
  const attempts = tree.filter((s) => s.name === "parlance.backend.attempt")
  expect(attempts.map((a) => a.parentSpanId)).toEqual([generation!.spanId, generation!.spanId])
}, 60_000)
