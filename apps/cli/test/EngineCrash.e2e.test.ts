/**
 * The engine runs in a child process (the runner): a native abort in llama.cpp ends the runner, not the server.
 * `parlance serve` is spawned with the test hook `PARLANCE_ENGINE_FAULT=abort-after-tokens:N`, which makes the
 * first runner call `process.abort()` (SIGABRT, as llama.cpp's CUDA errors do) once it has streamed N tokens; the
 * restarted runner runs clean. Driven with the official openai SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ensureTinyModel } from "@parlance/tiny-model"
import OpenAI from "openai"
import { type Served, serveParlance } from "./spawnServe.js"

let served: Served
let client: OpenAI
beforeAll(async () => {
  const model = await ensureTinyModel()
  served = await serveParlance(["--model", model, "--threads", "1", "--ctx-size", "2048", "--store", "memory"], {
    env: { PARLANCE_ENGINE_FAULT: "abort-after-tokens:40" }
  })
  client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
}, 120_000)
afterAll(async () => {
  expect(await served?.stop()).toBe(0)
})

const health = async () => (await (await fetch(`${served.url}/health`)).json()) as Record<string, any>

describe("an engine that aborts mid-stream", { timeout: 120_000 }, () => {
  it("fails the stream in flight once, answers 503 while it restarts, keeps stored responses, then serves again", async () => {
    const stored = await client.responses.create({ model: "tiny", input: "Hello", max_output_tokens: 4 })
    expect(stored.status).toBe("incomplete")
    expect((await health()).engine).toMatchObject({ state: "ready", gpu: "CPU", restarts: 0 })

    // The runner aborts 40 tokens into this stream.
    const events: Array<{ type: string; [k: string]: any }> = []
    const stream = await client.responses.create({
      model: "tiny",
      input: "Tell me a story",
      stream: true,
      max_output_tokens: 400
    })
    for await (const event of stream) events.push(event)
    const terminals = events.filter((e) =>
      ["response.completed", "response.incomplete", "response.failed"].includes(e.type)
    )
    expect(terminals.map((e) => e.type)).toEqual(["response.failed"])
    expect(events.at(-1)!.type).toBe("response.failed")
    expect(events.filter((e) => e.type === "response.output_text.delta").length).toBeGreaterThan(0)
    expect(terminals[0]!.response.error.code).toBe("server_error")
    expect(terminals[0]!.response.error.message).toContain("SIGABRT")

    // While the runner restarts: a clear 503, and the rest of the server works.
    const refused = await client.responses.create({ model: "tiny", input: "Hello", max_output_tokens: 4 }).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(refused).toBeInstanceOf(OpenAI.APIError)
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe("engine_unavailable")
    expect((await health()).engine).toMatchObject({ state: "restarting", gpu: "CPU" })
    expect((await client.responses.retrieve(stored.id)).output_text).toBe(stored.output_text)

    // Back after the restart.
    let answer: OpenAI.Responses.Response | undefined
    for (let i = 0; i < 240 && answer === undefined; i++) {
      answer = await client.responses
        .create({ model: "tiny", input: "Hello again", max_output_tokens: 8 })
        .catch(async (error) => {
          if ((error as { status?: number }).status !== 503) throw error
          await new Promise((r) => setTimeout(r, 250))
          return undefined
        })
    }
    expect(answer?.usage?.output_tokens).toBe(8)
    expect((await health()).engine).toMatchObject({
      state: "ready",
      gpu: "CPU",
      restarts: 1,
      last_failure: expect.stringContaining("SIGABRT")
    })
    expect(served.output()).toMatch(/engine: the runner died \(.*signal SIGABRT\); restarting on CPU/)
  })
})
