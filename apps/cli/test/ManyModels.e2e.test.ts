/**
 * Many models behind one server: the real `parlance serve --config FILE` spawned in front of two fake Chat
 * Completions upstreams (real HTTP), driven with the openai SDK. Routing by name, fallbacks before the first byte
 * (upstream down, past its timeout, answering 429), no retry after it, an A/B split, unknown models, the catalog,
 * previous_response_id across models, per-backend /metrics and /health.
 */
import OpenAI from "openai"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { freePort, tempDir } from "./cliHarness.js"
import { type Served, serveParlance } from "./spawnServe.js"

let one: FakeUpstream
let two: FakeUpstream
/** A llama-server look-alike: it has the tokenizer endpoints input token counts use. */
let counter: FakeUpstream
let served: Served
let client: OpenAI
let down: number

const host = (upstream: FakeUpstream) => `upstream:${new URL(upstream.url).host}`

beforeAll(async () => {
  one = await startFakeUpstream()
  two = await startFakeUpstream()
  counter = await startFakeUpstream({ flavor: "llama-server" })
  down = await freePort()
  const dir = tempDir("models")
  const file = join(dir, "parlance.yaml")
  writeFileSync(
    file,
    `# yaml-language-server: $schema=../parlance.schema.json
models:
  - name: alpha
    backends:
      - upstream: ${one.url}
        model: echo-one
  - name: beta
    backends:
      - upstream: ${two.url}
        name: second
  - name: down-first
    backends:
      - upstream: http://127.0.0.1:${down}/v1
      - upstream: ${two.url}
        model: echo-two
  - name: slow-first
    backends:
      - upstream: ${one.url}
        model: fault/hang
        timeout: 300
      - upstream: ${two.url}
        model: echo-two
  - name: limited-first
    backends:
      - upstream: ${one.url}
        model: fault/429
      - upstream: ${two.url}
        model: echo-two
  - name: stalls
    backends:
      - upstream: ${one.url}
        model: fault/stall
        idle_timeout: 1
      - upstream: ${two.url}
        model: echo-two
  - name: split
    backends:
      - upstream: ${one.url}
        model: echo-one
        weight: 1
      - upstream: ${two.url}
        model: echo-two
        weight: 3
  - name: counted
    backends:
      - upstream: ${counter.url}
  - name: counted-second
    backends:
      - upstream: ${one.url}
      - upstream: ${counter.url}
`
  )
  served = await serveParlance(["--config", file])
  client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
}, 60_000)

afterAll(async () => {
  expect(await served?.stop()).toBe(0)
  await one?.close()
  await two?.close()
  await counter?.close()
})

const create = (model: string, input = "hi") => client.responses.create({ model, input }).withResponse()

describe("routing by model", () => {
  it("sends each model to its own backend, under the name configured for it, and says which served", async () => {
    const [a, b] = [one.requests.length, two.requests.length]
    const alpha = await create("alpha")
    expect(one.requests.slice(a).map((r) => r.model)).toEqual(["echo-one"])
    expect(alpha.data.output_text).toContain("echo: hi")
    expect(alpha.data.model).toBe("alpha")
    expect(alpha.response.headers.get("x-parlance-backend")).toBe(host(one))
    expect(alpha.data.metadata).toEqual({ parlance: host(one) })
    // The stored response says so too.
    expect((await client.responses.retrieve(alpha.data.id)).metadata).toEqual({ parlance: host(one) })

    const beta = await create("beta")
    // The model name sent upstream is the entry's own by default.
    expect(two.requests.slice(b).map((r) => r.model)).toEqual(["beta"])
    expect(beta.response.headers.get("x-parlance-backend")).toBe("second")
    expect(one.requests.length).toBe(a + 1)
  })

  it("answers an unknown model with 404 model_not_found naming the models that exist", async () => {
    const error = await client.responses.create({ model: "gamma", input: "hi" }).catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error.code).toBe("model_not_found")
    expect(error.param).toBe("model")
    expect(error.message).toContain("'gamma'")
    expect(error.message).toContain("alpha, beta, down-first")
  })

  it("counts input tokens with the entry's first backend that can: 404 unknown, 501 when none can", async () => {
    const body = { input: "count these words please" }
    const counted = await client.responses.inputTokens.count({ model: "counted", ...body })
    const { usage } = await client.responses.create({ model: "counted", ...body })
    expect(counted.input_tokens).toBe(usage!.input_tokens)
    // `one` has no tokenizer endpoint (not_supported): the next backend of the entry counts.
    const second = await client.responses.inputTokens.count({ model: "counted-second", ...body })
    expect(second.input_tokens).toBe(counted.input_tokens)
    const none = await client.responses.inputTokens.count({ model: "alpha", ...body }).catch((e) => e)
    expect(none.status).toBe(501)
    expect(none.code).toBe("not_supported")
    const unknown = await client.responses.inputTokens.count({ model: "gamma", ...body }).catch((e) => e)
    expect(unknown.status).toBe(404)
    expect(unknown.code).toBe("model_not_found")
  })

  it("routes /v1/chat/completions alike", async () => {
    const a = one.requests.length
    const chat = await client.chat.completions.create({ model: "alpha", messages: [{ role: "user", content: "yo" }] })
    expect(chat.choices[0]!.message.content).toContain("echo: yo")
    expect(one.requests.slice(a).map((r) => r.model)).toEqual(["echo-one"])
  })

  it("lists every entry in /v1/models and in the Codex catalog", async () => {
    const list = await client.models.list()
    expect(list.data.map((m) => m.id)).toEqual([
      "alpha",
      "beta",
      "down-first",
      "slow-first",
      "limited-first",
      "stalls",
      "split",
      "counted",
      "counted-second"
    ])
    const body = await (await fetch(`${served.baseUrl}/models?client_version=0.171.0`)).json()
    expect(body.models.map((m: { slug: string }) => m.slug)).toContain("split")
  })

  it("continues a conversation on another model with previous_response_id", async () => {
    const first = await client.responses.create({ model: "alpha", input: "one" })
    const b = two.requests.length
    const second = await client.responses.create({ model: "beta", input: "two", previous_response_id: first.id })
    expect(second.output_text).toContain("echo: two")
    const sent = two.requests.slice(b)[0]
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user"])
  })
})

describe("fallbacks before the first byte", () => {
  it.each([
    ["down-first", "refused"],
    ["slow-first", "past its timeout"],
    ["limited-first", "answering 429"]
  ])("%s: the next backend serves when the first is %s", async (model) => {
    const b = two.requests.length
    const answer = await create(model)
    expect(answer.data.status).toBe("completed")
    expect(answer.data.output_text).toContain("echo: hi")
    expect(answer.response.headers.get("x-parlance-backend")).toBe(host(two))
    expect(two.requests.slice(b).map((r) => r.model)).toEqual(["echo-two"])
  })

  it("never retries after the first byte: the stream ends response.failed, the next backend never asked", async () => {
    const [a, b] = [one.requests.length, two.requests.length]
    const stream = await client.responses.create({ model: "stalls", input: "hi", stream: true })
    const types: Array<string> = []
    let failed: any
    for await (const event of stream) {
      types.push(event.type)
      if (event.type === "response.failed") failed = event.response
    }
    expect(types.filter((t) => t === "response.failed" || t === "response.completed")).toEqual(["response.failed"])
    expect(failed.error.code).toBe("upstream_timeout")
    expect(one.requests.length).toBe(a + 1)
    expect(two.requests.length).toBe(b)
  })

  it("counts what each backend served and handed on, per model, in /metrics; /health names every backend", async () => {
    const metrics = await (await fetch(`${served.url}/metrics`)).text()
    expect(metrics).toMatch(new RegExp(`parlance_backend_served_total\\{model="alpha",backend="${host(one)}"\\} [1-9]`))
    expect(metrics).toMatch(
      new RegExp(`parlance_backend_fallbacks_total\\{model="limited-first",backend="${host(one)}"\\} 1`)
    )
    expect(metrics).toMatch(
      new RegExp(`parlance_backend_served_total\\{model="limited-first",backend="${host(two)}"\\} 1`)
    )
    expect(metrics).toMatch(/parlance_backend_tokens_input_total\{model="alpha",backend="[^"]+"\} [1-9]/)
    const health = await (await fetch(`${served.url}/health`)).json()
    expect(health.backend).toBe("router")
    const beta = health.router.models.find((m: { model: string }) => m.model === "beta")
    expect(beta.backends).toEqual([{ backend: "second", kind: "upstream", model: "beta" }])
  })
})

describe("weights", () => {
  it("splits traffic at random by weight (1:3) within tolerance over 200 requests", async () => {
    const [a, b] = [one.requests.length, two.requests.length]
    const by = new Map<string, number>()
    for (let i = 0; i < 200; i++) {
      const answer = await client.responses.create({ model: "split", input: "ab", store: false }).withResponse()
      const backend = answer.response.headers.get("x-parlance-backend")!
      by.set(backend, (by.get(backend) ?? 0) + 1)
    }
    const toOne = by.get(host(one)) ?? 0
    const toTwo = by.get(host(two)) ?? 0
    expect(toOne + toTwo).toBe(200)
    expect(one.requests.length - a).toBe(toOne)
    expect(two.requests.length - b).toBe(toTwo)
    // Expected 50 : 150; one standard deviation is about 6 requests: 5 of them either side.
    expect(toOne).toBeGreaterThanOrEqual(20)
    expect(toOne).toBeLessThanOrEqual(80)
  }, 60_000)
})
