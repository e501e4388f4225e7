/**
 * Authentication is deny by default, on the route the router matched: every route × every spelling a router
 * might normalise (double slashes, case, percent-encoding, dot segments, trailing slash, `;` params, a query
 * string) × {no key, wrong key, right key}. Raw request lines go out through node:http, which sends the path
 * exactly as written (fetch would normalise it first).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { request as httpRequest } from "node:http"
import { Server, Upstream } from "../src/index.js"
import { type Harness, startHarness } from "./harness.js"

const KEY = "sk-right-key-0123456789"

interface Answer {
  readonly status: number
  readonly body: any
}

/** One request with the path sent byte for byte as given. */
const raw = (
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(base)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...headers,
          ...(payload !== undefined
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }
            : {})
        }
      },
      (res) => {
        const parts: Array<Buffer> = []
        res.on("data", (part: Buffer) => parts.push(part))
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8")
          let parsed: unknown = text
          try {
            parsed = JSON.parse(text)
          } catch {
            // text (metrics)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      }
    )
    req.on("error", reject)
    req.end(payload)
  })

let h: Harness
let stored: string
beforeAll(async () => {
  h = await startHarness({ apiKey: KEY })
  const created = await raw(
    h.url,
    "POST",
    "/v1/responses",
    { authorization: `Bearer ${KEY}` },
    { model: "fake-model", input: "keep me" }
  )
  stored = created.body.id
})
afterAll(() => h.close())

interface Route {
  readonly method: string
  /** Segments, so that spellings can be applied to the route's own words but not to the response id. */
  readonly segments: ReadonlyArray<string>
  readonly body?: unknown
  readonly public?: boolean
}

const routes = (): ReadonlyArray<Route> => [
  { method: "POST", segments: ["v1", "responses"], body: { model: "fake-model", input: "hi" } },
  { method: "GET", segments: ["v1", "responses", stored] },
  { method: "GET", segments: ["v1", "responses", stored, "input_items"] },
  { method: "DELETE", segments: ["v1", "responses", "resp_does_not_exist"] },
  { method: "POST", segments: ["v1", "responses", "resp_does_not_exist", "cancel"] },
  { method: "POST", segments: ["v1", "responses", "compact"], body: { model: "fake-model", input: "hi" } },
  // A 404 (the previous response is unknown): the plain fake upstream has no tokenizer, which would be a 501.
  {
    method: "POST",
    segments: ["v1", "responses", "input_tokens"],
    body: { model: "fake-model", input: "hi", previous_response_id: "resp_does_not_exist" }
  },
  {
    method: "POST",
    segments: ["v1", "chat", "completions"],
    body: { model: "fake-model", messages: [{ role: "user", content: "hi" }] }
  },
  { method: "GET", segments: ["v1", "models"] },
  { method: "GET", segments: ["metrics"] },
  { method: "GET", segments: ["health"], public: true }
]

/** Route words only: the id segment (which starts with `resp_`) keeps its spelling. */
const word = (segment: string, f: (s: string) => string) => (segment.startsWith("resp_") ? segment : f(segment))
const join = (segments: ReadonlyArray<string>) => `/${segments.join("/")}`

interface Spelling {
  readonly name: string
  readonly path: (segments: ReadonlyArray<string>) => string
  /** Whether the router maps it onto the same route (it normalises these); otherwise it is an unknown path. */
  readonly routes: boolean
}

const spellings: ReadonlyArray<Spelling> = [
  { name: "canonical", path: join, routes: true },
  { name: "leading double slash", path: (s) => `/${join(s)}`, routes: true },
  {
    name: "inner double slash",
    path: (s) =>
      join(s)
        .replace("/", "//")
        .replace(/\/([^/]+)$/, "//$1"),
    routes: true
  },
  { name: "upper case", path: (s) => join(s.map((x) => word(x, (w) => w.toUpperCase()))), routes: true },
  {
    name: "mixed case",
    path: (s) => join(s.map((x) => word(x, (w) => w[0]!.toUpperCase() + w.slice(1)))),
    routes: true
  },
  {
    name: "percent-encoded",
    path: (s) => join(s.map((x) => word(x, (w) => [...w].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("")))),
    routes: true
  },
  { name: "percent-encoded slash", path: (s) => `/%2f${s.join("%2f")}`, routes: false },
  { name: "dot segment", path: (s) => `/x/..${join(s)}`, routes: false },
  { name: "dot segment to the public route", path: (s) => `/health/..${join(s)}`, routes: false },
  { name: "single dot", path: (s) => `/.${join(s)}`, routes: false },
  { name: "trailing slash", path: (s) => `${join(s)}/`, routes: true },
  { name: "semicolon parameter", path: (s) => `${join(s)};jsessionid=1`, routes: true },
  { name: "query string", path: (s) => `${join(s)}?x=1&limit=5`, routes: true },
  { name: "public prefix", path: (s) => `/health${join(s)}`, routes: false },
  { name: "absolute-form request line", path: (s) => `http://127.0.0.1${join(s)}`, routes: true }
]

const keys = {
  none: {},
  wrong: { authorization: "Bearer sk-wrong-key-0123456789" },
  "wrong, shorter": { authorization: "Bearer sk" },
  "empty bearer": { authorization: "Bearer " },
  right: { authorization: `Bearer ${KEY}` }
} satisfies Record<string, Record<string, string>>

describe("authentication walk: route × spelling × key", () => {
  it("answers 401 without the right key except on the public route, and the handler only with it", {
    timeout: 120_000
  }, async () => {
    const failures: Array<string> = []
    let checked = 0
    for (const route of routes()) {
      const canonical = await raw(h.url, route.method, join(route.segments), keys.right, route.body)
      expect(canonical.status, `${route.method} ${join(route.segments)}`).toBeLessThan(500)
      for (const spelling of spellings) {
        const path = spelling.path(route.segments)
        for (const [keyName, headers] of Object.entries(keys)) {
          const answer = await raw(h.url, route.method, path, headers, route.body)
          checked++
          const right = keyName === "right"
          // Unknown paths: 404 with the key, 401 without (no way to probe which routes exist).
          const expected = !spelling.routes
            ? right
              ? 404
              : 401
            : right || route.public === true
              ? canonical.status
              : 401
          const code = answer.body?.error?.code
          const expectedCode = !spelling.routes
            ? right
              ? "unknown_route"
              : "invalid_api_key"
            : right || route.public === true
              ? canonical.body?.error?.code
              : "invalid_api_key"
          if (answer.status !== expected || code !== expectedCode) {
            failures.push(
              `${route.method} ${path} [${spelling.name}, key ${keyName}]: ${answer.status} ${code} (expected ${expected} ${expectedCode})`
            )
          }
        }
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBe(routes().length * spellings.length * Object.keys(keys).length)
  })

  it("takes the key as `Authorization: Bearer` (any case of the scheme) or `api-key`", async () => {
    expect((await raw(h.url, "GET", "/v1/models", { authorization: `bearer ${KEY}` })).status).toBe(200)
    expect((await raw(h.url, "GET", "/v1/models", { "api-key": KEY })).status).toBe(200)
    expect((await raw(h.url, "GET", "/v1/models", { "api-key": "nope" })).status).toBe(401)
    expect((await raw(h.url, "GET", "/v1/models", { authorization: `Basic ${KEY}` })).status).toBe(401)
    expect((await raw(h.url, "GET", "/v1/models", { authorization: `Bearer ${KEY}x` })).status).toBe(401)
  })

  it("/health says only its status without the key, more with it", async () => {
    expect((await raw(h.url, "GET", "/health", {})).body).toEqual({ status: "ok" })
    expect((await raw(h.url, "GET", "/health", keys.wrong)).body).toEqual({ status: "ok" })
    expect((await raw(h.url, "GET", "/health", keys.right)).body).toMatchObject({ status: "ok", backend: "upstream" })
  })

  it("a 401 is OpenAI's error body", async () => {
    const answer = await raw(h.url, "POST", "//v1/responses", {}, { model: "fake-model", input: "free generation?" })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" }
    })
  })
})

describe("--metrics-public", () => {
  it("serves /metrics without the key, and nothing else", async () => {
    const open = await startHarness({ apiKey: KEY, metricsPublic: true })
    try {
      const metrics = await raw(open.url, "GET", "/metrics", {})
      expect(metrics.status).toBe(200)
      expect(String(metrics.body)).toContain("parlance_")
      expect((await raw(open.url, "GET", "//Metrics/", {})).status).toBe(200)
      expect((await raw(open.url, "GET", "/v1/models", {})).status).toBe(401)
    } finally {
      await open.close()
    }
  })

  it("refuses an empty API key at start", async () => {
    await expect(
      Server.start({ backend: Upstream.make({ baseUrl: h.upstream.url }), port: 0, apiKey: "" })
    ).rejects.toThrow(/empty/)
  })
})
