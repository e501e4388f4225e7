import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sse, validateStream } from "@parlance/translate"
import OpenAI from "openai"
import OpenAIv6 from "openai-v6"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { serveParlance, spawnParlance } from "./spawnServe.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

describe("parlance serve (spawned)", () => {
  it("serves the openai SDK, and on SIGTERM ends the in-flight stream with its terminal event and exits 0", async () => {
    // Only the flags this test needs: no recording, and a drain shorter than the stream.
    const served = await spawnParlance(["--upstream", upstream.url, "--store", "memory", "--drain-timeout", "300"], {
      startTimeoutMs: 10_000
    })
    try {
      expect(served.stdout()).toContain(`parlance listening on ${served.url}`)

      const client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused" })
      const response = await client.responses.create({ model: "fake-model", input: "Hello" })
      expect(response.output_text).toBe("echo: Hello (messages: 1)")

      // A long stream (the fake's "slow" model: 200 chunks, 50 ms apart), cut by SIGTERM after it began.
      const streamed = await fetch(`${served.baseUrl}/responses`, {
        method: "POST",
        body: JSON.stringify({ model: "slow", input: "x", stream: true })
      })
      const reader = streamed.body!.getReader()
      const decoder = Sse.makeDecoder()
      const messages: Array<Sse.SseMessage> = []
      while (!messages.some((m) => m.event === "response.output_text.delta")) {
        const read = await reader.read()
        if (read.done) break
        messages.push(...decoder.feed(read.value))
      }
      const stopped = served.stop()
      for (let read = await reader.read(); !read.done; read = await reader.read())
        messages.push(...decoder.feed(read.value))
      messages.push(...decoder.end())

      const events = messages.map((m) => JSON.parse(m.data))
      expect(validateStream(events, { eventNames: messages.map((m) => m.event), strict: true })).toEqual([])
      expect(["response.failed", "response.incomplete", "response.completed"]).toContain(events.at(-1).type)
      expect(events.filter((e) => e.type === "response.output_text.delta").length).toBeLessThan(200)
      expect(await stopped).toBe(0)
      expect(served.stdout()).toContain("parlance stopped")
    } finally {
      await served.kill()
      if (served.stderr() !== "") console.error(served.stderr())
    }
  })
})

describe("the previous openai major (openai 6) through the proxy", () => {
  it("a non-streamed and a streamed response", async () => {
    const served = await serveParlance(["--upstream", upstream.url])
    try {
      const client = new OpenAIv6({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
      const response = await client.responses.create({ model: "fake-model", input: "Hello" })
      expect(response.status).toBe("completed")
      expect(response.output_text).toBe("echo: Hello (messages: 1)")

      const stream = await client.responses.create({ model: "fake-model", input: "Hello", stream: true })
      const events: Array<any> = []
      for await (const event of stream) events.push(event)
      expect(validateStream(events, { strict: true })).toEqual([])
      expect(events.at(-1).type).toBe("response.completed")
      expect(
        events
          .filter((e) => e.type === "response.output_text.delta")
          .map((e) => e.delta)
          .join("")
      ).toBe("echo: Hello (messages: 1)")
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })
})
