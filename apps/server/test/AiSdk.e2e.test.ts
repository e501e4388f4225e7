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
    const result = await generateText({
      model: openai.responses("fake-model"),
      prompt: "weather in Paris?",
      tools,
      stopWhen: stepCountIs(3)
    })
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(result.text).toContain("tool said:")
    expect(result.text).toContain("sunny in Paris")
  })

  it("streamText with a tool streams the call and the answer", async () => {
    const openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused" })
    const result = streamText({
      model: openai.responses("fake-model"),
      prompt: "weather in Paris?",
      tools,
      stopWhen: stepCountIs(3)
    })
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

  it("multi-step streamText against a reasoning model: the bare item_reference to the rs_ item resolves from the store", async () => {
    // Record what the AI SDK sends to Parlance (its fetch), to prove the shape this test is about.
    const sent: Array<any> = []
    const recording: typeof fetch = async (input, init) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body))
      return fetch(input, init)
    }
    const openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused", fetch: recording })
    const result = streamText({
      model: openai.responses("reasoning-model"),
      prompt: "weather in Paris?",
      tools,
      stopWhen: stepCountIs(3),
      // A local reasoning model: forceReasoning, and summaries (the AI SDK renders reasoning only from those).
      providerOptions: { openai: { forceReasoning: true, reasoningSummary: "auto" } }
    })
    const parts: Array<string> = []
    for await (const part of result.fullStream) {
      parts.push(part.type)
      if (part.type === "error") throw part.error
    }
    expect(parts).toContain("reasoning-delta")
    expect(parts).toContain("tool-result")
    expect(await result.text).toContain("sunny in Paris")

    // Step 2 replays step 1's reasoning as a reference, with no previous_response_id.
    const second = sent[1]
    expect(second.previous_response_id).toBeUndefined()
    const reference = second.input.find((item: any) => item.type === "item_reference" && item.id.startsWith("rs_"))
    expect(reference).toBeDefined()
    // …and the upstream got the stored reasoning back, on the assistant turn that made the call.
    const upstreamTurn = h.upstream.requests.at(-1).messages.find((m: any) => m.role === "assistant")
    expect(upstreamTurn).toMatchObject({
      reasoning_content: "Thinking about 1 messages.",
      tool_calls: [{ function: { name: "get_weather" } }]
    })
  })
})
