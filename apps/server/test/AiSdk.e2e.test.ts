import { createOpenAI } from "@ai-sdk/openai"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { generateText, stepCountIs, streamText, tool } from "ai"
import { z } from "zod"
import { type Harness, startHarness } from "./harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const tools = {
  get_weather: tool({
    description: "Weather for a city",
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`
  })
}

describe("the Vercel AI SDK (@ai-sdk/openai .responses) against the server", () => {
  it("generateText with a tool runs the loop to the final answer", async () => {
    const openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused" })
    const result = await generateText({ model: openai.responses("fake-model"), prompt: "weather in Paris?", tools, stopWhen: stepCountIs(3) })
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(result.text).toContain("tool said:")
    expect(result.text).toContain("sunny in Paris")
  })

  it("streamText with a tool streams the call and the answer", async () => {
    const openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused" })
    const result = streamText({ model: openai.responses("fake-model"), prompt: "weather in Paris?", tools, stopWhen: stepCountIs(3) })
    const parts: Array<string> = []
    for await (const part of result.fullStream) {
      parts.push(part.type)
      if (part.type === "error") throw part.error
    }
    expect(parts).toContain("tool-call")
    expect(parts).toContain("tool-result")
    expect(parts).toContain("text-delta")
    expect(await result.text).toContain("sunny in Paris")
  })
})
