/**
 * The Vercel AI SDK's Open Responses provider (`@ai-sdk/open-responses`, a client written against the Open
 * Responses spec, not against OpenAI) driving the server: text, a tool loop, streaming, and a PDF file part.
 */
import { createOpenResponses } from "@ai-sdk/open-responses"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { generateText, stepCountIs, streamText, tool } from "ai"
import { z } from "zod"
import { type Harness, startHarness } from "./harness.js"
import { makePdf } from "./pdfFixture.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const provider = () => createOpenResponses({ name: "parlance", url: `${h.url}/v1/responses` })
const tools = {
  get_weather: tool({
    description: "Weather for a city",
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`
  })
}

describe("the AI SDK's Open Responses provider against the server", () => {
  it("generateText: text and usage", async () => {
    const result = await generateText({ model: provider()("fake-model"), prompt: "hello there" })
    expect(result.text).toBe("echo: hello there (messages: 1)")
    expect(result.usage.inputTokens).toBeGreaterThan(0)
    expect(result.finishReason).toBe("stop")
  })

  it("generateText with a tool runs the loop to the final answer", async () => {
    const result = await generateText({
      model: provider()("fake-model"),
      prompt: "weather in Paris?",
      tools,
      stopWhen: stepCountIs(3)
    })
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(result.text).toContain("sunny in Paris")
  })

  it("streamText with a tool streams the call, the result and the answer", async () => {
    const result = streamText({
      model: provider()("reasoning-model"),
      prompt: "weather in Paris?",
      tools,
      stopWhen: stepCountIs(3)
    })
    const parts: Array<string> = []
    for await (const part of result.fullStream) {
      parts.push(part.type)
      if (part.type === "error") throw part.error
    }
    expect(parts).toEqual(expect.arrayContaining(["tool-call", "tool-result", "text-delta"]))
    expect(await result.text).toContain("sunny in Paris")
  })

  it("a PDF file part: its text reaches the model", async () => {
    const result = await generateText({
      model: provider()("fake-model"),
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise:" },
            {
              type: "file",
              data: makePdf(["The provider sent this PDF."]),
              mediaType: "application/pdf",
              filename: "sent.pdf"
            }
          ]
        }
      ]
    })
    expect(result.text).toContain("The provider sent this PDF.")
    expect(h.upstream.requests.at(-1).messages[0].content).toContain('<file name="sent.pdf">')
  })
})
