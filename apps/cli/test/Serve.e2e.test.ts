import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Sse, validateStream } from "@parlance/translate"
import { spawn } from "node:child_process"
import OpenAI from "openai"
import OpenAIv6 from "openai-v6"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { bin, freePort } from "./cliHarness.js"
import { serveParlance } from "./spawnServe.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

describe("parlance serve (spawned)", () => {
  it("serves the openai SDK, and on SIGTERM ends the in-flight stream with its terminal event and exits 0", async () => {
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [bin, "serve", "--upstream", upstream.url, "--port", String(port), "--store", "memory", "--drain-timeout", "300"],
      {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      for (let i = 0; i < 200 && !stdout.includes("parlance listening on"); i++)
        await new Promise((r) => setTimeout(r, 50))
      expect(stdout).toContain(`parlance listening on http://127.0.0.1:${port}`)

      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "unused" })
      const response = await client.responses.create({ model: "fake-model", input: "Hello" })
      expect(response.output_text).toBe("echo: Hello (messages: 1)")

      // A long stream (the fake's "slow" model: 200 chunks, 50 ms apart), cut by SIGTERM after it began.
      const streamed = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
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
      child.kill("SIGTERM")
      for (let read = await reader.read(); !read.done; read = await reader.read())
        messages.push(...decoder.feed(read.value))
      messages.push(...decoder.end())

      const events = messages.map((m) => JSON.parse(m.data))
      expect(validateStream(events, { eventNames: messages.map((m) => m.event), strict: true })).toEqual([])
      expect(["response.failed", "response.incomplete", "response.completed"]).toContain(events.at(-1).type)
      expect(events.filter((e) => e.type === "response.output_text.delta").length).toBeLessThan(200)
      expect(await exited).toBe(0)
      expect(stdout).toContain("parlance stopped")
    } finally {
      child.kill("SIGKILL")
      if (stderr !== "") console.error(stderr)
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
