/**
 * Background responses in proxy mode, through the official openai SDK's own methods (`responses.create` with
 * `background`, `responses.retrieve` plain and with `stream`/`starting_after`, `responses.cancel`) and raw
 * bytes: create returns at once, the generation runs on without a listener, a dropped stream resumes gap-free
 * with the same bytes, cancel ends it `cancelled`, and a non-background response is not streamed again.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import OpenAI from "openai"
import { expectWellFormed, poll, readAll, readUntil } from "./background.js"
import { type Harness, startHarness } from "./harness.js"

let h: Harness
let client: OpenAI
beforeAll(async () => {
  h = await startHarness()
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "x", maxRetries: 0 })
})
afterAll(() => h.close())

const deltas = (events: ReadonlyArray<any>) => events.filter((e) => e.type === "response.output_text.delta").length

describe("background responses (proxy mode)", () => {
  it("create returns at once, queued; the generation runs on; retrieve polls it to completed", async () => {
    const t0 = Date.now()
    // 100 chunks, 40 ms apart: at least 4 s of generation; the create answers well before it ends (3 s of
    // slack for a loaded machine's stalls, and still sooner than a create that waited for the generation).
    const created = await client.responses.create({ model: "bench/100/40", input: "go", background: true })
    expect(Date.now() - t0).toBeLessThan(3_000)
    expect(created.status).toBe("queued")
    expect(created.background).toBe(true)
    const seen = new Set<string>([created.status!])
    const done = await poll(
      () => client.responses.retrieve(created.id),
      (r) => {
        seen.add(r.status!)
        return r.status === "completed"
      }
    )
    expect(done.status).toBe("completed")
    expect(done.output_text).toBe(Array.from({ length: 100 }, (_, i) => `token${i} `).join(""))
    expect(seen.has("in_progress")).toBe(true)
    // The whole stream is kept: replayed from the first event, it is the grammar's, queued then in_progress.
    const replay = await client.responses.retrieve(created.id, { stream: true })
    const events: Array<any> = []
    for await (const event of replay) events.push(event)
    expectWellFormed(events)
    expect(events.slice(0, 3).map((e) => e.type)).toEqual([
      "response.created",
      "response.queued",
      "response.in_progress"
    ])
    // The SDK adds `output_text` to what it retrieves; the rest is the terminal event's Response.
    const { output_text: _, ...stored } = done
    expect(events.at(-1).response).toEqual(JSON.parse(JSON.stringify(stored)))
  })

  it("a dropped stream goes on; starting_after resumes it gap-free, byte for byte (SDK and raw)", async () => {
    // 60 chunks, 50 ms apart: 3 s of generation, so that it still runs after the pause below even on a
    // loaded machine.
    const first = await readUntil(
      `${h.url}/v1/responses`,
      { model: "bench/60/50", input: "go", background: true, stream: true },
      (events) => deltas(events) >= 5
    )
    const id = first.events[0].response.id as string
    const cut = first.events.at(-1).sequence_number as number
    // Nobody listens for a while: the generation runs on.
    await new Promise((r) => setTimeout(r, 300))
    expect((await client.responses.retrieve(id)).status).toBe("in_progress")
    // The SDK's own resume, from the cut.
    const resumed: Array<any> = []
    for await (const event of await client.responses.retrieve(id, { stream: true, starting_after: cut }))
      resumed.push(event)
    expect(resumed[0].sequence_number).toBe(cut + 1)
    expectWellFormed([...first.events, ...resumed])
    expect(resumed.at(-1).type).toBe("response.completed")
    // The same bytes: the cut stream plus a raw resume equal the whole stream replayed.
    const rest = await readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=${cut}`)
    const whole = await readAll(`${h.url}/v1/responses/${id}?stream=true`)
    expect(first.text + rest.text).toBe(whole.text)
    expect(rest.events).toEqual(JSON.parse(JSON.stringify(resumed)))
    // starting_after at the terminal event: nothing more, the stream just ends.
    const last = whole.events.at(-1).sequence_number
    expect((await readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=${last}`)).text).toBe("")
    expect((await readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=${last + 50}`)).text).toBe("")
  })

  it("resumes while it runs, attached live to the generation (two readers, one stream)", async () => {
    const first = await readUntil(
      `${h.url}/v1/responses`,
      { model: "bench/60/20", input: "go", background: true, stream: true },
      (events) => deltas(events) >= 2
    )
    const id = first.events[0].response.id as string
    // Past the end while it runs: it waits for events that never come, and ends with the generation.
    const past = readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=100000`)
    const [a, b] = await Promise.all([
      readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=${first.events.at(-1).sequence_number}`),
      readAll(`${h.url}/v1/responses/${id}?stream=true&starting_after=0`)
    ])
    expectWellFormed([...first.events, ...a.events])
    expectWellFormed([first.events[0], ...b.events])
    expect((await past).text).toBe("")
  })

  it("cancel ends a running background response cancelled (idempotent); its stream ends with it", async () => {
    const created = await client.responses.create({ model: "slow", input: "go", background: true, stream: true })
    const events: Array<any> = []
    let cancelled: OpenAI.Responses.Response | undefined
    for await (const event of created) {
      events.push(event)
      if (event.type === "response.output_text.delta" && cancelled === undefined)
        cancelled = await client.responses.cancel(events[0].response.id)
    }
    expect(cancelled?.status).toBe("cancelled")
    expect(validateStream(events, { strict: true })).toEqual([])
    expect(events.at(-1).type).toBe("response.failed")
    expect(events.at(-1).response.status).toBe("cancelled")
    const id = events[0].response.id
    expect((await client.responses.retrieve(id)).status).toBe("cancelled")
    expect((await client.responses.cancel(id)).status).toBe("cancelled")
  })

  it("cancel while nobody listens (non-streaming create)", async () => {
    const created = await client.responses.create({ model: "slow", input: "go", background: true })
    const cancelled = await client.responses.cancel(created.id)
    expect(cancelled.status).toBe("cancelled")
    const replay = await readAll(`${h.url}/v1/responses/${created.id}?stream=true`)
    expectWellFormed(replay.events)
    expect(replay.events.at(-1).response.status).toBe("cancelled")
  })

  it("accepts background_options as the SDK types define them; refuses what OpenAI refuses", async () => {
    const created = await client.responses.create({
      model: "fake-model",
      input: "hi",
      background: true,
      background_options: { completion_window: "2h", continuation_id: "job-1" }
    })
    const done = await poll(
      () => client.responses.retrieve(created.id),
      (r) => r.status === "completed"
    )
    expect(done.output_text).toContain("echo: hi")
    const refused = async (body: Record<string, unknown>) => {
      const response = await fetch(`${h.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "fake-model", input: "x", ...body })
      })
      expect(response.status).toBe(400)
      return ((await response.json()) as any).error
    }
    expect((await refused({ background: true, store: false })).param).toBe("store")
    expect(
      (await refused({ background: true, stream: true, background_options: { completion_window: "8h" } })).param
    ).toBe("background_options.completion_window")
  })

  it("a response not created in the background is not streamed again (400); a bad starting_after is a 400", async () => {
    const plain = await client.responses.create({ model: "fake-model", input: "x" })
    const again = await fetch(`${h.url}/v1/responses/${plain.id}?stream=true`)
    expect(again.status).toBe(400)
    expect(((await again.json()) as any).error.param).toBe("stream")
    const bg = await client.responses.create({ model: "fake-model", input: "x", background: true })
    const bad = await fetch(`${h.url}/v1/responses/${bg.id}?stream=true&starting_after=abc`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as any).error.param).toBe("starting_after")
    const missing = await fetch(`${h.url}/v1/responses/resp_nope?stream=true`)
    expect(missing.status).toBe(404)
  })

  it("a deleted background response is gone, its stream too", async () => {
    const created = await client.responses.create({ model: "fake-model", input: "x", background: true })
    await poll(
      () => client.responses.retrieve(created.id),
      (r) => r.status === "completed"
    )
    await client.responses.delete(created.id)
    expect((await fetch(`${h.url}/v1/responses/${created.id}?stream=true`)).status).toBe(404)
  })
})
