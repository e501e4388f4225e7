/**
 * Background responses and `response.queued` on the embedded engine (the tiny GGUF, one sequence): a request
 * that finds every sequence busy streams `created`, `queued`, `in_progress` (OpenAI's order) and runs once the
 * sequence is free; one that leaves while queued leaves the queue; a background response runs with nobody
 * listening, resumes gap-free with the same bytes, and cancel frees the sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Engine } from "@parlance/engine"
import { validateStream } from "@parlance/translate"
import { ensureTinyModel } from "@parlance/tiny-model"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import OpenAI from "openai"
import { Server } from "../src/index.js"
import { expectWellFormed, poll, readAll, readUntil } from "./background.js"
import { postSse } from "./harness.js"
import * as SpecTap from "./specTap.js"

const model = "tiny"
let engine: Engine.EngineBackend
let server: Server.RunningServer
let client: OpenAI
let close: () => Promise<void>
beforeAll(async () => {
  const scope = Effect.runSync(Scope.make())
  engine = await Effect.runPromise(
    Engine.make({ model: await ensureTinyModel(), modelName: model, parallel: 1, contextSize: 2048, threads: 1 }).pipe(
      Scope.provide(scope)
    )
  )
  server = await Server.start({ backend: engine, port: 0, defaultModel: model })
  const spec = SpecTap.watch(server.url)
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
  close = async () => {
    await server.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
    spec.check()
  }
}, 120_000)
afterAll(() => close?.())

const load = () => Effect.runPromise(engine.load!)
const deltas = (events: ReadonlyArray<any>) => events.filter((e) => e.type === "response.output_text.delta").length

/** A long background response holding the one sequence (until cancelled). */
const occupy = async () => {
  const busy = await client.responses.create({
    model,
    input: "Tell me a very long story.",
    max_output_tokens: 1500,
    temperature: 1,
    background: true
  })
  await poll(load, (l) => l.busy === 1)
  return busy
}

describe("the embedded engine with every sequence busy", () => {
  it("a waiting stream carries response.queued between created and in_progress, then runs", async () => {
    const busy = await occupy()
    const waiting = postSse(`${server.url}/v1/responses`, { model, input: "hi", max_output_tokens: 4, stream: true })
    await poll(load, (l) => l.waiting === 1)
    expect((await client.responses.cancel(busy.id)).status).toBe("cancelled")
    const capture = await waiting
    expect(capture.status).toBe(200)
    expect(validateStream(capture.events, { eventNames: capture.names, strict: true })).toEqual([])
    expect(capture.events.slice(0, 3).map((e) => [e.type, e.response.status])).toEqual([
      ["response.created", "queued"],
      ["response.queued", "queued"],
      ["response.in_progress", "in_progress"]
    ])
    expect(capture.events.at(-1).response.usage.output_tokens).toBe(4)
    // A sequence free at once: no response.queued.
    const direct = await postSse(`${server.url}/v1/responses`, {
      model,
      input: "hi",
      max_output_tokens: 2,
      stream: true
    })
    expect(direct.events.map((e) => e.type)).not.toContain("response.queued")
    expect(direct.events[1].type).toBe("response.in_progress")
  })

  it("a client that leaves while queued leaves the queue; the stored response says so", async () => {
    const busy = await occupy()
    const left = await readUntil(
      `${server.url}/v1/responses`,
      { model, input: "hi", max_output_tokens: 4, stream: true },
      (events) => events.some((e) => e.type === "response.queued")
    )
    await poll(load, (l) => l.waiting === 0)
    expect((await load()).waiting).toBe(0)
    const id = left.events[0].response.id
    const stored = await poll(
      () => client.responses.retrieve(id),
      (r) => r.status !== "queued"
    )
    expect(stored.status).toBe("cancelled")
    await client.responses.cancel(busy.id)
    await poll(load, (l) => l.busy === 0)
  })
})

describe("background responses on the embedded engine", () => {
  it("runs with nobody listening; retrieve polls it; its replay is the grammar's", async () => {
    const created = await client.responses.create({ model, input: "hi", max_output_tokens: 8, background: true })
    expect(created.status).toBe("queued")
    const done = await poll(
      () => client.responses.retrieve(created.id),
      (r) => r.status === "completed" || r.status === "incomplete"
    )
    expect(done.usage?.output_tokens).toBe(8)
    const replay: Array<any> = []
    for await (const event of await client.responses.retrieve(created.id, { stream: true })) replay.push(event)
    expectWellFormed(replay)
    expect(replay.at(-1).response.output).toEqual(JSON.parse(JSON.stringify(done.output)))
  })

  it("a dropped background stream resumes gap-free, byte for byte", async () => {
    const first = await readUntil(
      `${server.url}/v1/responses`,
      { model, input: "Tell me a story.", max_output_tokens: 200, background: true, stream: true },
      (events) => deltas(events) >= 2
    )
    const id = first.events[0].response.id
    const cut = first.events.at(-1).sequence_number
    const resumed: Array<any> = []
    for await (const event of await client.responses.retrieve(id, { stream: true, starting_after: cut }))
      resumed.push(event)
    expectWellFormed([...first.events, ...resumed])
    const whole = await readAll(`${server.url}/v1/responses/${id}?stream=true`)
    const rest = await readAll(`${server.url}/v1/responses/${id}?stream=true&starting_after=${cut}`)
    expect(first.text + rest.text).toBe(whole.text)
  })

  it("a background response queued behind another starts queued; cancel frees the sequence", async () => {
    const busy = await occupy()
    const second = await client.responses.create({ model, input: "hi", max_output_tokens: 3, background: true })
    await poll(load, (l) => l.waiting === 1)
    expect((await client.responses.retrieve(second.id)).status).toBe("queued")
    await client.responses.cancel(busy.id)
    const done = await poll(
      () => client.responses.retrieve(second.id),
      (r) => r.status !== "queued" && r.status !== "in_progress"
    )
    expect(done.usage?.output_tokens).toBe(3)
    const replay = await readAll(`${server.url}/v1/responses/${second.id}?stream=true`)
    expectWellFormed(replay.events)
    expect(replay.events.slice(0, 3).map((e) => e.type)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress"
    ])
    await poll(load, (l) => l.busy === 0 && l.waiting === 0)
  })
})
