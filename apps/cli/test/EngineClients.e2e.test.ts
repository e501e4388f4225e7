/**
 * Every client, on the embedded engine: `parlance serve --model <scripted tiny model>` spawned once for this
 * file, then the flows the proxy-mode suites run (apps/server/test/OpenAiSdk, AiSdk) with the official openai
 * SDK, the Vercel AI SDK and the OpenAI Agents SDK. The scripted model ends its turns, calls the first tool
 * offered and answers tool results, so each flow runs to `completed` for real. Every stream the server sent
 * (`--record-dir`) must pass validateStream.
 */
import { createOpenAI } from "@ai-sdk/openai"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Agent, OpenAIResponsesModel, run, setTracingDisabled, tool as agentTool } from "@openai/agents"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import { Sse, validateStream } from "@parlance/translate"
import { generateText, stepCountIs, streamText, tool } from "ai"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import OpenAI from "openai"
import { z } from "zod"
import { type Served, serveParlance } from "./spawnServe.js"

const { ANSWER_TEXT, TOOL_RESULT_TEXT } = ScriptedModel

let served: Served
let client: OpenAI
beforeAll(async () => {
  const model = await ensureScriptedModel()
  served = await serveParlance(["--model", model, "--model-name", "scripted", "--threads", "1", "--ctx-size", "8192"])
  client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
}, 120_000)
afterAll(async () => {
  const code = await served?.stop()
  expect(code).toBe(0)
  // Every stream this server sent, as the client received it, obeys the event grammar.
  const files = readdirSync(served.recordDir).filter((f) => f.endsWith(".sse"))
  expect(files.length).toBeGreaterThan(5)
  for (const file of files) {
    const messages = Sse.decodeText(readFileSync(join(served.recordDir, file), "utf8"))
    const events = messages.filter((m) => m.data !== "[DONE]").map((m) => JSON.parse(m.data))
    expect(validateStream(events, { eventNames: messages.map((m) => m.event) }), file).toEqual([])
  }
})

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false
  },
  strict: true
}
const clock = { ...weather, name: "get_time", description: "Local time in a city" }

describe("the official openai SDK on the engine", { timeout: 120_000 }, () => {
  it("creates a response (non-streaming): completed, the scripted answer, usage consistent", async () => {
    const response = await client.responses.create({
      model: "scripted",
      input: "hello there",
      instructions: "Be brief."
    })
    expect(response.status).toBe("completed")
    expect(response.output_text).toBe(ANSWER_TEXT)
    expect(response.instructions).toBe("Be brief.")
    expect(response.usage?.output_tokens).toBeGreaterThan(5)
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0)
    )
  })

  it("streams events that pass validateStream and end completed", async () => {
    const stream = await client.responses.create({ model: "scripted", input: "stream me", stream: true })
    const events: Array<any> = []
    for await (const event of stream) events.push(event)
    expect(validateStream(events)).toEqual([])
    expect(events.at(-1).type).toBe("response.completed")
    expect(
      events
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join("")
    ).toBe(ANSWER_TEXT)
  })

  it("responses.stream() accumulates and finalResponse() matches", async () => {
    const deltas: Array<string> = []
    const stream = client.responses.stream({ model: "scripted", input: "accumulate" })
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta))
    const final = await stream.finalResponse()
    expect(final.status).toBe("completed")
    expect(final.output_text).toBe(ANSWER_TEXT)
    expect(deltas.join("")).toBe(final.output_text)
  })

  it("runs a full tool loop: the model calls the first tool, then answers the output; completed each turn", async () => {
    const first = await client.responses.create({
      model: "scripted",
      input: "What is the weather in Paris?",
      tools: [weather, clock]
    })
    expect(first.status).toBe("completed")
    const call = first.output.find((item) => item.type === "function_call")
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" })
    if (call?.type !== "function_call") throw new Error("no call")
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" })
    expect(call.id).toMatch(/^fc_/)

    const second = await client.responses.create({
      model: "scripted",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny, 21°C" }],
      tools: [weather, clock]
    })
    expect(second.status).toBe("completed")
    expect(second.output_text).toBe(TOOL_RESULT_TEXT)

    // The same loop stateless (store: false, the whole conversation each turn), as Codex and agents send it.
    const stateless = await client.responses.create({
      model: "scripted",
      store: false,
      input: [
        { role: "user", content: "What is the weather in Paris?" },
        { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: "function_call_output", call_id: call.call_id, output: "sunny, 21°C" }
      ],
      tools: [weather, clock]
    })
    expect(stateless.status).toBe("completed")
    expect(stateless.output_text).toBe(TOOL_RESULT_TEXT)
  })

  it("continues a conversation with previous_response_id", async () => {
    const one = await client.responses.create({ model: "scripted", input: "first", instructions: "Only for turn one." })
    const two = await client.responses.create({ model: "scripted", input: "second", previous_response_id: one.id })
    expect(two.previous_response_id).toBe(one.id)
    expect(two.instructions).toBeNull()
    expect(two.status).toBe("completed")
    expect(two.output_text).toBe(ANSWER_TEXT)
    // Turn two reuses turn one's KV cache.
    expect(two.usage?.input_tokens_details.cached_tokens).toBeGreaterThan(0)
  })

  it("tool_choice none → the plain answer; a named tool_choice forces the second tool", async () => {
    const none = await client.responses.create({
      model: "scripted",
      input: "What is the weather in Paris?",
      tools: [weather, clock],
      tool_choice: "none"
    })
    expect(none.output_text).toBe(ANSWER_TEXT)
    expect(none.output.some((i) => i.type === "function_call")).toBe(false)
    const forced = await client.responses.create({
      model: "scripted",
      input: "What is the weather in Paris?",
      tools: [weather, clock],
      tool_choice: { type: "function", name: "get_time" }
    })
    expect(forced.status).toBe("completed")
    expect(
      forced.output.filter((i) => i.type === "function_call").map((i) => i.type === "function_call" && i.name)
    ).toEqual(["get_time"])
  })
})

const aiTools = {
  get_weather: tool({
    description: "Weather for a city",
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`
  })
}

describe("the Vercel AI SDK (@ai-sdk/openai .responses) on the engine", { timeout: 120_000 }, () => {
  const openai = () => createOpenAI({ baseURL: served.baseUrl, apiKey: "unused" })

  it("generateText answers and stops", async () => {
    const result = await generateText({ model: openai().responses("scripted"), prompt: "Hello" })
    expect(result.text).toBe(ANSWER_TEXT)
    expect(result.finishReason).toBe("stop")
  })

  it("streamText streams the answer", async () => {
    const result = streamText({ model: openai().responses("scripted"), prompt: "Hello" })
    const deltas: Array<string> = []
    for await (const part of result.fullStream) {
      if (part.type === "error") throw part.error
      if (part.type === "text-delta") deltas.push(part.text)
    }
    expect(deltas.join("")).toBe(ANSWER_TEXT)
    expect(await result.finishReason).toBe("stop")
  })

  it("multi-step streamText with a tool: the call, the tool executed, the final answer (stopWhen step count)", async () => {
    const result = streamText({
      model: openai().responses("scripted"),
      prompt: "What is the weather in Paris?",
      tools: aiTools,
      stopWhen: stepCountIs(3)
    })
    const parts: Array<string> = []
    for await (const part of result.fullStream) {
      parts.push(part.type)
      if (part.type === "error") throw part.error
    }
    expect(parts).toContain("tool-call")
    expect(parts).toContain("tool-result")
    const steps = await result.steps
    expect(steps).toHaveLength(2)
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(steps[0]?.toolResults[0]).toMatchObject({ output: "sunny in Paris" })
    expect(await result.text).toBe(TOOL_RESULT_TEXT)
  })

  it("generateText with a tool runs the loop to the final answer", async () => {
    const result = await generateText({
      model: openai().responses("scripted"),
      prompt: "What is the weather in Paris?",
      tools: aiTools,
      stopWhen: stepCountIs(3)
    })
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "get_weather", input: { city: "Paris" } })
    expect(result.text).toBe(TOOL_RESULT_TEXT)
  })
})

describe("the OpenAI Agents SDK (@openai/agents) on the engine", { timeout: 120_000 }, () => {
  const agent = (executed: Array<string>) =>
    new Agent({
      name: "weather",
      instructions: "Answer with the weather tool.",
      model: new OpenAIResponsesModel(client, "scripted"),
      tools: [
        agentTool({
          name: "get_weather",
          description: "Weather for a city",
          parameters: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            executed.push(city)
            return `sunny in ${city}`
          }
        })
      ]
    })
  beforeAll(() => setTracingDisabled(true))

  it("run(): the function tool is executed, then the final output", async () => {
    const executed: Array<string> = []
    const result = await run(agent(executed), "What is the weather in Paris?")
    expect(executed).toEqual(["Paris"])
    expect(result.finalOutput).toBe(TOOL_RESULT_TEXT)
  })

  it("run() streamed: events, the tool executed, the final output", async () => {
    const executed: Array<string> = []
    const result = await run(agent(executed), "What is the weather in Paris?", { stream: true })
    const kinds = new Set<string>()
    for await (const event of result) kinds.add(event.type === "run_item_stream_event" ? event.name : event.type)
    await result.completed
    expect(executed).toEqual(["Paris"])
    expect(kinds).toContain("tool_called")
    expect(kinds).toContain("tool_output")
    expect(kinds).toContain("raw_model_stream_event")
    expect(result.finalOutput).toBe(TOOL_RESULT_TEXT)
  })
})
