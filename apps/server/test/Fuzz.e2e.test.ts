/**
 * Whatever a client sends, the server answers 200 or a 4xx OpenAI error body — never a 500, a crash, a hang,
 * or a stream without its terminal event. Bodies come from fast-check: mutations of valid requests and
 * arbitrary JSON; then a seeded sweep of hostile requests over every route (deep nesting, huge strings,
 * bytes that are not JSON, every content type and encoding).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sse, validateStream } from "@parlance/translate"
import * as FastCheck from "fast-check"
import { Agent, request as httpRequest } from "node:http"
import * as zlib from "node:zlib"
import { type Harness, postSse, startHarness } from "./harness.js"

let h: Harness
const LIMIT = 64 * 1024
beforeAll(async () => {
  h = await startHarness({ bodyLimit: LIMIT })
})
afterAll(() => h.close())

const json = FastCheck.jsonValue({ maxDepth: 3 })
const text = FastCheck.string({ maxLength: 20 })
const validItem = FastCheck.oneof(
  FastCheck.record({ role: FastCheck.constantFrom("user", "assistant", "system", "developer"), content: text }),
  FastCheck.record({
    type: FastCheck.constant("function_call"),
    call_id: text,
    name: text,
    arguments: FastCheck.constantFrom("{}", '{"a":1}')
  }),
  FastCheck.record({ type: FastCheck.constant("function_call_output"), call_id: text, output: text }),
  FastCheck.record({
    type: FastCheck.constant("reasoning"),
    summary: FastCheck.constantFrom(null, []),
    encrypted_content: FastCheck.constantFrom("x", null)
  })
)
const validTool = FastCheck.oneof(
  FastCheck.record({
    type: FastCheck.constant("function"),
    name: FastCheck.stringMatching(/^[a-z_]{1,10}$/),
    parameters: FastCheck.constant({ type: "object", properties: { city: { type: "string" } } })
  }),
  FastCheck.record({ type: FastCheck.constant("custom"), name: FastCheck.stringMatching(/^[a-z_]{1,10}$/) }),
  FastCheck.record({ type: FastCheck.constantFrom("web_search", "local_shell", "mcp") })
)
/** Mostly valid requests (so that generation runs), each field sometimes replaced by arbitrary JSON. */
const field = <A>(valid: FastCheck.Arbitrary<A>) =>
  FastCheck.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: json, weight: 1 })
const body = FastCheck.record(
  {
    model: field(FastCheck.constant("fake-model")),
    input: field(FastCheck.oneof(text, FastCheck.array(validItem, { minLength: 1, maxLength: 4 }))),
    instructions: field(text),
    tools: field(FastCheck.array(validTool, { maxLength: 3 })),
    tool_choice: field(FastCheck.constantFrom("auto", "none", "required")),
    text: field(FastCheck.constantFrom({ format: { type: "text" } }, { format: { type: "json_object" } })),
    reasoning: field(FastCheck.constantFrom({ effort: "low" }, { summary: "auto" })),
    max_output_tokens: field(FastCheck.integer({ min: 1, max: 50 })),
    temperature: field(FastCheck.double({ min: 0, max: 2, noNaN: true })),
    stream: FastCheck.boolean(),
    store: field(FastCheck.boolean()),
    previous_response_id: FastCheck.oneof(
      { arbitrary: FastCheck.constant(undefined), weight: 8 },
      { arbitrary: FastCheck.constantFrom("resp_missing", 3), weight: 1 }
    ),
    include: field(FastCheck.constant(["reasoning.encrypted_content"])),
    metadata: field(FastCheck.constant({ k: "v" }))
  },
  { requiredKeys: ["stream", "model", "input"] }
)

const statuses = new Map<number, number>()
const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)

describe("fuzzed POST /v1/responses", () => {
  it("never answers 5xx, always an OpenAI error or a valid response/stream", { timeout: 120_000 }, async () => {
    await FastCheck.assert(
      FastCheck.asyncProperty(body, async (b) => {
        if (b.stream === true) {
          const capture = await postSse(`${h.url}/v1/responses`, b)
          seen(capture.status)
          if (capture.status === 200) {
            expect(validateStream(capture.events, { eventNames: capture.names, strict: true })).toEqual([])
            return
          }
          expect(capture.status).toBeGreaterThanOrEqual(400)
          expect(capture.status).toBeLessThan(500)
          return
        }
        const response = await fetch(`${h.url}/v1/responses`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(b)
        })
        const payload = await response.json()
        seen(response.status)
        if (response.status === 200) expect(payload.object).toBe("response")
        else {
          expect(response.status).toBeGreaterThanOrEqual(400)
          expect(response.status).toBeLessThan(500)
          expect(Object.keys(payload.error).sort()).toEqual(["code", "message", "param", "type"])
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150) }
    )
    // The generator must reach both sides: accepted requests and refused ones.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0)
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true)
    console.log("fuzz statuses", Object.fromEntries(statuses))
  })
})

// ---- the hostile sweep ----

interface Shot {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Buffer | undefined
}

const nested = (depth: number, open: string, close: string, leaf: string) =>
  `${open.repeat(depth)}${leaf}${close.repeat(depth)}`
/** A JSON value text: ordinary, deeply nested (past the depth limit or not), or huge. */
const hostileValue: FastCheck.Arbitrary<string> = FastCheck.oneof(
  { arbitrary: json.map((v) => JSON.stringify(v) ?? "null"), weight: 6 },
  { arbitrary: FastCheck.integer({ min: 1, max: 30_000 }).map((d) => nested(d, "[", "]", "")), weight: 2 },
  { arbitrary: FastCheck.integer({ min: 1, max: 10_000 }).map((d) => nested(d, '{"a":', "}", "1")), weight: 1 },
  { arbitrary: FastCheck.integer({ min: 1, max: 2 * LIMIT }).map((n) => JSON.stringify("x".repeat(n))), weight: 1 },
  { arbitrary: FastCheck.constantFrom("9007199254740992", "-1", "1e309", "0.5", '"\\ud800"', "true"), weight: 1 }
)
const fieldNames = [
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "text",
  "reasoning",
  "max_output_tokens",
  "temperature",
  "top_p",
  "stream",
  "store",
  "previous_response_id",
  "include",
  "metadata",
  "messages",
  "stream_options",
  "n",
  "max_tokens",
  "truncation",
  "conversation",
  "background",
  "parallel_tool_calls"
]
/** A JSON object text built from a mostly valid base with one field hostile. */
const hostileObject = (base: Record<string, unknown>) =>
  FastCheck.tuple(FastCheck.constantFrom(...fieldNames), hostileValue).map(([name, value]) => {
    const rest = JSON.stringify({ ...base, [name]: undefined })
    return rest === "{}" ? `{"${name}":${value}}` : `${rest.slice(0, -1)},"${name}":${value}}`
  })
const notJson = FastCheck.oneof(
  FastCheck.string({ maxLength: 200 }),
  FastCheck.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
  FastCheck.constantFrom(
    "",
    " ",
    "{",
    "}",
    '{"model":',
    "[]",
    "null",
    '{"a":1} x',
    "\ufeff{}",
    "model=x&input=y",
    '{"input":"x"}{"input":"y"}'
  )
)
const responsesBase = { model: "fake-model", input: "hi" }
const chatBase = { model: "fake-model", messages: [{ role: "user", content: "hi" }] }
const bodyText = (base: Record<string, unknown>) =>
  FastCheck.oneof(
    { arbitrary: hostileObject(base), weight: 5 },
    { arbitrary: notJson, weight: 2 },
    { arbitrary: json.map((v) => JSON.stringify(v) ?? ""), weight: 1 }
  )

const contentType = FastCheck.oneof(
  { arbitrary: FastCheck.constant("application/json"), weight: 8 },
  {
    arbitrary: FastCheck.constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "application/vnd.x+json",
      "",
      "*/*",
      "application/json; charset=utf-8"
    ),
    weight: 3
  },
  {
    arbitrary: FastCheck.string({ maxLength: 30 }).filter((t) => !/[\r\n]/.test(t) && /^[\x20-\x7e]*$/.test(t)),
    weight: 1
  }
)
type Encoding = "none" | "gzip" | "deflate" | "br" | "zstd-raw" | "bogus" | "corrupt-gzip"
const encoding = FastCheck.oneof(
  { arbitrary: FastCheck.constant<Encoding>("none"), weight: 8 },
  {
    arbitrary: FastCheck.constantFrom<Encoding>("gzip", "deflate", "br", "zstd-raw", "bogus", "corrupt-gzip"),
    weight: 2
  }
)
/** zstd with one raw block per 128 KiB (RFC 8878): no encoder needed. */
const zstdRaw = (data: Buffer) => {
  const blocks: Array<Buffer> = []
  for (let at = 0; at === 0 || at < data.length; at += 128 * 1024) {
    const part = data.subarray(at, at + 128 * 1024)
    const last = at + 128 * 1024 >= data.length
    const header = (part.length << 3) | (last ? 1 : 0)
    blocks.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), part)
  }
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 - 10) << 3]), ...blocks])
}
const encode = (kind: Encoding, text: string): { body: Buffer; header: string | undefined } => {
  const raw = Buffer.from(text, "utf8")
  switch (kind) {
    case "none":
      return { body: raw, header: undefined }
    case "gzip":
      return { body: zlib.gzipSync(raw, { level: 1 }), header: "gzip" }
    case "deflate":
      return { body: zlib.deflateSync(raw, { level: 1 }), header: "deflate" }
    case "br":
      return {
        body: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }),
        header: "br"
      }
    case "zstd-raw":
      return { body: zstdRaw(raw), header: "zstd" }
    case "bogus":
      return { body: raw, header: "compress" }
    case "corrupt-gzip":
      return { body: zlib.gzipSync(raw).subarray(0, 12), header: "gzip" }
  }
}

const id = FastCheck.oneof(
  FastCheck.constantFrom("resp_missing", "x", "%2e%2e", "resp_" + "a".repeat(300), "%00", "%ZZ"),
  FastCheck.stringMatching(/^[A-Za-z0-9_%.-]{1,40}$/)
)
const query = FastCheck.oneof(
  FastCheck.constant(""),
  FastCheck.tuple(
    FastCheck.constantFrom("limit", "order", "after", "before", "stream", "include[]"),
    FastCheck.constantFrom("0", "-1", "101", "1e3", "asc", "desc", "x", "true", "", "%ZZ")
  ).map(([k, v]) => `?${k}=${v}`)
)
const postRoute = (path: FastCheck.Arbitrary<string>, base: Record<string, unknown>) =>
  FastCheck.record({
    path,
    text: bodyText(base),
    type: contentType,
    coding: encoding,
    chunked: FastCheck.boolean(),
    stream: FastCheck.boolean()
  }).map(({ path, text, type, coding, chunked, stream }): Shot => {
    // Half of the generation requests stream: `"stream":true` is spliced in front of the other fields.
    const withStream = stream && text.startsWith("{") && text.length > 1 ? `{"stream":true,${text.slice(1)}` : text
    const { body, header } = encode(coding, withStream)
    const headers: Record<string, string> = {}
    if (type !== "") headers["content-type"] = type
    if (header !== undefined) headers["content-encoding"] = header
    if (!chunked) headers["content-length"] = String(body.length)
    return { method: "POST", path, headers, body }
  })
const getRoute = FastCheck.tuple(
  FastCheck.constantFrom("GET", "DELETE", "HEAD", "PUT", "PATCH", "OPTIONS"),
  FastCheck.oneof(
    id.map((i) => `/v1/responses/${i}`),
    id.map((i) => `/v1/responses/${i}/input_items`),
    FastCheck.constantFrom(
      "/v1/models",
      "/health",
      "/metrics",
      "/",
      "/v1",
      "/v1/responses",
      "/nope",
      "//v1/models",
      "/v1/responses/resp_missing/cancel"
    )
  ),
  query
).map(([method, path, q]): Shot => ({ method, path: path + q, headers: {}, body: undefined }))
const shot: FastCheck.Arbitrary<Shot> = FastCheck.oneof(
  { arbitrary: postRoute(FastCheck.constant("/v1/responses"), responsesBase), weight: 6 },
  { arbitrary: postRoute(FastCheck.constant("/v1/chat/completions"), chatBase), weight: 2 },
  {
    arbitrary: postRoute(
      id.map((i) => `/v1/responses/${i}/cancel`),
      {}
    ),
    weight: 1
  },
  { arbitrary: getRoute, weight: 2 }
)

interface Result {
  readonly status: number
  readonly contentType: string | undefined
  readonly text: string
}
const agent = new Agent({ keepAlive: true, maxSockets: 8 })
const fire = (s: Shot): Promise<Result> =>
  new Promise((resolve) => {
    const url = new URL(h.url)
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: s.method, path: s.path, headers: s.headers, agent },
      (res) => {
        const parts: Array<Buffer> = []
        res.on("data", (part: Buffer) => parts.push(part))
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"],
            text: Buffer.concat(parts).toString("utf8")
          })
        )
        res.on("error", () => resolve({ status: -1, contentType: undefined, text: "response broken" }))
      }
    )
    req.on("error", (error) => resolve({ status: -1, contentType: undefined, text: String(error) }))
    req.end(s.body)
  })

/** What a response must be: < 500, and a 4xx is OpenAI's error body; a 200 stream obeys the grammar. */
const judge = (s: Shot, r: Result): string | undefined => {
  const what = `${s.method} ${s.path.slice(0, 80)} ${JSON.stringify(s.headers)} → ${r.status}`
  if (r.status < 200 || r.status >= 500) return `${what}: ${r.text.slice(0, 200)}`
  if (r.status >= 400 && s.method !== "HEAD") {
    try {
      const keys = Object.keys(JSON.parse(r.text).error).sort().join(",")
      if (keys !== "code,message,param,type") return `${what}: error keys ${keys}`
    } catch {
      return `${what}: not an error body: ${r.text.slice(0, 200)}`
    }
  }
  if (r.status === 200 && r.contentType?.startsWith("text/event-stream") && s.path === "/v1/responses") {
    const messages = Sse.decodeText(r.text)
    const events = messages.filter((m) => m.data !== "[DONE]").map((m) => JSON.parse(m.data))
    const problems = validateStream(events, { eventNames: messages.map((m) => m.event) })
    if (problems.length > 0) return `${what}: ${JSON.stringify(problems).slice(0, 300)}`
  }
  return undefined
}

describe("the hostile sweep over every route", () => {
  it("10,000 seeded requests: no status ≥ 500, every error an OpenAI body, every stream valid", {
    timeout: 300_000
  }, async () => {
    const runs = Number(process.env.FUZZ_SWEEP_RUNS ?? 10_000)
    const seed = Number(process.env.FUZZ_SEED ?? 20261201)
    const sampling = Date.now()
    const shots = FastCheck.sample(shot, { seed, numRuns: runs })
    console.log(`sampled in ${Date.now() - sampling} ms`)
    const failures: Array<string> = []
    const counts = new Map<number, number>()
    let next = 0
    const started = Date.now()
    // A few requests in flight at once, as clients send them; the run stays seconds long.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < shots.length) {
          const s = shots[next++]!
          const r = await fire(s)
          counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
          const failure = judge(s, r)
          if (failure !== undefined && failures.length < 20) failures.push(failure)
        }
      })
    )
    console.log(
      `hostile sweep: ${runs} requests in ${Date.now() - started} ms (seed ${seed})`,
      Object.fromEntries(counts)
    )
    expect(failures).toEqual([])
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(runs)
    // The sweep must reach accepted requests and each kind of refusal.
    for (const status of [200, 400, 404, 413, 415])
      expect(counts.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0)
  })
})
