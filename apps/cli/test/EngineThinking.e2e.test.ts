/**
 * Reasoning on the embedded engine: `parlance serve --model <scripted thinking variant>` spawned once; the
 * model thinks `OK.` before its plain answer. The openai SDK sees a reasoning item (raw `reasoning_text`, or a
 * summary when `reasoning.summary` is asked) and `reasoning_tokens` counted; the Vercel AI SDK streams the
 * reasoning and still runs a multi-step tool loop. Every recorded stream must pass validateStream.
 */
import { createOpenAI } from "@ai-sdk/openai"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import { Sse, validateStream } from "@parlance/translate"
import { generateText, stepCountIs, streamText, tool } from "ai"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import OpenAI from "openai"
import { z } from "zod"
import { type Served, serveParlance } from "./spawnServe.js"

const { ANSWER_TEXT, THOUGHT_TEXT, TOOL_RESULT_TEXT } = ScriptedModel

let served: Served
let client: OpenAI
beforeAll(async () => {
  const model = await ensureScriptedModel({ think: true })
  served = await serveParlance([
    "--model",
    model,
    "--model-name",
    "scripted-think",
    "--threads",
    "1",
    "--ctx-size",
    "4096"
  ])
  client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
}, 120_000)
afterAll(async () => {
  expect(await served?.stop()).toBe(0)
  const files = readdirSync(served.recordDir).filter((f) => f.endsWith(".sse"))
  expect(files.length).toBeGreaterThan(2)
  for (const file of files) {
    const messages = Sse.decodeText(readFileSync(join(served.recordDir, file), "utf8"))
    const events = messages.filter((m) => m.data !== "[DONE]").map((m) => JSON.parse(m.data))
    expect(validateStream(events, { eventNames: messages.map((m) => m.event) }), file).toEqual([])
  }
})

describe("the openai SDK on the thinking variant", { timeout: 120_000 }, () => {
  it("a reasoning item before the message; reasoning_tokens counted", async () => {
    const response = await client.responses.create({ model: "scripted-think", input: "Hello" })
    expect(response.status).toBe("completed")
    expect(response.output.map((i) => i.type)).toEqual(["reasoning", "message"])
    const reasoning = response.output[0]
    if (reasoning?.type !== "reasoning") throw new Error("no reasoning item")
    expect(reasoning.id).toMatch(/^rs_/)
    expect(reasoning.content?.map((c) => c.text).join("")).toBe(THOUGHT_TEXT)
    expect(response.output_text).toBe(ANSWER_TEXT)
    const details = response.usage?.output_tokens_details
    expect(details?.reasoning_tokens).toBeGreaterThan(0)
    expect(details?.reasoning_tokens).toBeLessThan(response.usage?.output_tokens ?? 0)
  })

  it("streamed: reasoning_text deltas, then the text; summaries when reasoning.summary is asked", async () => {
    const stream = await client.responses.create({ model: "scripted-think", input: "Hello", stream: true })
    const events: Array<any> = []
    for await (const event of stream) events.push(event)
    expect(validateStream(events)).toEqual([])
    expect(
      events
        .filter((e) => e.type === "response.reasoning_text.delta")
        .map((e) => e.delta)
        .join("")
    ).toBe(THOUGHT_TEXT)
    expect(events.at(-1).type).toBe("response.completed")
    expect(events.at(-1).response.usage.output_tokens_details.reasoning_tokens).toBeGreaterThan(0)

    const summarized = await client.responses.create({
      model: "scripted-think",
      input: "Hello",
      reasoning: { summary: "auto" }
    })
    const item = summarized.output[0]
    if (item?.type !== "reasoning") throw new Error("no reasoning item")
    expect(item.summary.map((s) => s.text).join("")).toBe(THOUGHT_TEXT)
  })

  it("a reasoning item passed back with previous_response_id continues the conversation", async () => {
    const one = await client.responses.create({ model: "scripted-think", input: "Hello" })
    const two = await client.responses.create({
      model: "scripted-think",
      input: "And again?",
      previous_response_id: one.id
    })
    expect(two.status).toBe("completed")
    expect(two.output.map((i) => i.type)).toEqual(["reasoning", "message"])
    expect(two.output_text).toBe(ANSWER_TEXT)
  })
})

describe("the Vercel AI SDK on the thinking variant", { timeout: 120_000 }, () => {
  const openai = () => createOpenAI({ baseURL: served.baseUrl, apiKey: "unused" })
  // A local reasoning model: forceReasoning, and summaries (the AI SDK renders reasoning only from those).
  const providerOptions = { openai: { forceReasoning: true, reasoningSummary: "auto" } }

  it("generateText: the reasoning and the answer", async () => {
    const result = await generateText({ model: openai().responses("scripted-think"), prompt: "Hello", providerOptions })
    expect(result.reasoningText).toBe(THOUGHT_TEXT)
    expect(result.text).toBe(ANSWER_TEXT)
    expect(result.usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0)
  })

  it("streamText streams reasoning deltas, then the text", async () => {
    const result = streamText({ model: openai().responses("scripted-think"), prompt: "Hello", providerOptions })
    const reasoning: Array<string> = []
    const text: Array<string> = []
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error
      if (part.type === "reasoning-delta") reasoning.push(part.text)
      if (part.type === "text-delta") text.push(part.text)
    }
    expect(reasoning.join("")).toBe(THOUGHT_TEXT)
    expect(text.join("")).toBe(ANSWER_TEXT)
  })

  it("multi-step streamText with a tool (stopWhen step count): the call, the tool result, the answer", async () => {
    const tools = {
      get_weather: tool({
        description: "Weather for a city",
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => `sunny in ${city}`
      })
    }
    const result = streamText({
      model: openai().responses("scripted-think"),
      prompt: "What is the weather in Paris?",
      tools,
      stopWhen: stepCountIs(3),
      providerOptions
    })
    const parts: Array<string> = []
    for await (const part of result.fullStream) {
      parts.push(part.type)
      if (part.type === "error") throw part.error
    }
    expect(parts).toContain("tool-call")
    expect(parts).toContain("tool-result")
    const steps = await result.steps
    // Step 1 thinks, then calls; step 2 (after the tool result) answers at once.
    expect(steps[0]?.reasoningText).toBe(THOUGHT_TEXT)
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(await result.text).toBe(TOOL_RESULT_TEXT)
  })

  it("a second turn replays the first as bare item_references (rs_, msg_), resolved from the store", async () => {
    const sent: Array<any> = []
    const recording: typeof fetch = async (input, init) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body))
      return fetch(input, init)
    }
    const model = createOpenAI({ baseURL: served.baseUrl, apiKey: "unused", fetch: recording }).responses(
      "scripted-think"
    )
    const first = await generateText({ model, prompt: "Hello", providerOptions })
    const second = streamText({
      model,
      messages: [
        { role: "user", content: "Hello" },
        ...first.response.messages,
        { role: "user", content: "And again?" }
      ],
      providerOptions
    })
    for await (const part of second.fullStream) if (part.type === "error") throw part.error
    expect(await second.text).toBe(ANSWER_TEXT)
    expect(sent[1].previous_response_id).toBeUndefined()
    const references = sent[1].input.filter((item: any) => item.type === "item_reference").map((item: any) => item.id)
    expect(references.some((id: string) => id.startsWith("rs_"))).toBe(true)
  })
})
