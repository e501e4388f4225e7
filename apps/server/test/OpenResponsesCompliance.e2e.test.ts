/**
 * The Open Responses compliance suite's HTTP tests, ported (no network in CI): each template's request and
 * validators as the suite has them, run against the real server in the spec's dialect (`--dialect
 * openresponses`) in front of a reasoning upstream (the fake upstream's `reasoning-model` streams
 * `reasoning_content`, so every response carries a reasoning item and every stream reasoning deltas).
 *
 * Source: github.com/openresponses/openresponses `src/lib/compliance-tests.ts` at 18e565604fdf7a08ad3a06bbc30d1ddaee999ea4
 * (basic-response, streaming-response, system-prompt, tool-calling, function-call-roundtrip, image-input,
 * file-input, multi-turn, previous-response-id) and at 0cb939ccf839234347b4f0c317569b49fad8fd0e
 * (tool-calling-streaming), with `src/lib/sse-parser.ts` (the stream reader and its per-event validation).
 * The suite's two optional tests (file-search, offline-web-search) are skipped by the suite itself unless a
 * vector store or an offline web index is configured; a local model has neither. Its seven WebSocket tests are
 * ported beside the WebSocket mode.
 *
 * Where the suite validates with zod schemas generated from the spec (`responseResourceSchema`, the union of
 * streaming event schemas), this port validates with the JSON Schemas of the same OpenAPI document
 * (`@parlance/open-responses`), and, as the suite's union does, accepts only the events the spec defines.
 */
import { SpecValidator } from "@parlance/open-responses"
import { validateStream } from "@parlance/translate"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Harness, startHarness } from "./harness.js"

const apiKey = "sk-compliance"
const model = "reasoning-model"

// ---------------------------------------------------------------- the suite's machinery

interface ParsedEvent {
  readonly event: string
  readonly data: any
}
interface SseParseResult {
  readonly events: Array<ParsedEvent>
  readonly errors: Array<string>
  finalResponse: any
}

/** sse-parser.ts `parseSSEStream`: `event:`/`data:` lines, `[DONE]` skipped, each event checked against the spec's union. */
const parseSseStream = async (response: Response): Promise<SseParseResult & { raw: string }> => {
  const result: SseParseResult & { raw: string } = { events: [], errors: [], finalResponse: null, raw: "" }
  const raw = await response.text()
  result.raw = raw
  let currentEvent = ""
  let currentData = ""
  for (const line of raw.split("\n")) {
    if (line.startsWith("event:")) currentEvent = line.slice(6).trim()
    else if (line.startsWith("data:")) currentData = line.slice(5).trim()
    else if (line === "" && currentData) {
      if (currentData !== "[DONE]") {
        try {
          const parsed = JSON.parse(currentData)
          result.events.push({ event: currentEvent || parsed.type || "unknown", data: parsed })
          const problems = SpecValidator.isSpecEvent(parsed.type)
            ? SpecValidator.validateEvent(parsed)
            : [`${parsed.type} is not an event of the spec`]
          if (problems.length > 0)
            result.errors.push(`Event validation failed for ${parsed.type || "unknown"}: ${JSON.stringify(problems)}`)
          if (["response.completed", "response.failed", "response.incomplete"].includes(parsed.type))
            result.finalResponse = parsed.response
        } catch {
          result.errors.push(`Failed to parse event data: ${currentData}`)
        }
      }
      currentEvent = ""
      currentData = ""
    }
  }
  return result
}

interface Context {
  readonly streaming: boolean
  readonly sseResult?: SseParseResult
}
type Validator = (response: any, context: Context) => Array<string>

const hasOutput: Validator = (response) =>
  !response.output || response.output.length === 0 ? ["Response has no output items"] : []
const hasOutputType =
  (type: string): Validator =>
  (response) =>
    response.output?.some((item: any) => item.type === type)
      ? []
      : [`Expected output item of type "${type}" but none found`]
const completedStatus: Validator = (response) =>
  response.status !== "completed" ? [`Expected status "completed" but got "${response.status}"`] : []
const streamingEvents: Validator = (_, context) =>
  !context.streaming
    ? []
    : !context.sseResult || context.sseResult.events.length === 0
      ? ["No streaming events received"]
      : []
const streamingSchema: Validator = (_, context) =>
  !context.streaming || !context.sseResult ? [] : context.sseResult.errors
const functionCallEvents: Validator = (_, context) => {
  if (!context.streaming || !context.sseResult) return []
  const events = context.sseResult.events.map((e) => e.data)
  const types = events.map((e) => e?.type)
  const errors: Array<string> = []
  if (!events.some((e) => e?.type === "response.output_item.added" && e?.item?.type === "function_call"))
    errors.push("Missing response.output_item.added event with function_call item")
  if (!types.includes("response.function_call_arguments.delta"))
    errors.push("Missing response.function_call_arguments.delta event")
  if (!types.includes("response.function_call_arguments.done"))
    errors.push("Missing response.function_call_arguments.done event")
  if (!events.some((e) => e?.type === "response.output_item.done" && e?.item?.type === "function_call"))
    errors.push("Missing response.output_item.done event with function_call item")
  return errors
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Get the current weather for a location",
  parameters: {
    type: "object",
    properties: {
      location: { type: "string", description: "The city and state, e.g. San Francisco, CA" }
    },
    required: ["location"]
  }
}

// A red heart icon on a white background, and a one-page PDF titled "OpenResponses File Input Fixture" (the suite's own).
const heartPng =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAABmklEQVR42tyWAaTyUBzFew/eG4AHz+MBSAHKBiJRGFKwIgQQJKLUIioBIhCAiCAAEizAQIAECaASqFFJq84nudjnaqvuPnxzgP9xfrq5938csPn7PwHTKSoViCIEAYEAMhmoKsU2mUCWEQqB5xEMIp/HaGQG2G6RSuH9HQ7H34rFrtPbdz4jl6PbwmEsl3QA1mt4vcRKk8dz9eg6IpF7tt9fzGY0gCgafFRFo5Blc5vLhf3eCOj1yNhM5GRMVK0aATxPZoz09YXjkQDmczJgquGQAPp9WwCNBgG027YACgUC6HRsAZRKBDAY2AJoNv/ZnwzA6WScznG3p4UAymXGAEkyXrTFAh8fLAGqagQAyGaZpYsi7bHTNPz8MEj//LxuFPo+UBS8vb0KaLXubrRa7aX0RMLCykwmn0z3+XA4WACcTpCkh9MFAZpmuVXo+mO/w+/HZvNgbblcUCxaSo/Hyck80Yu6XXDcvfVZr79cvMZjuN2U9O9vKAqjZrfbIZ0mV4TUi9Xqz6jddNy//7+e3n8Fhf/Llo2kxi8AQyGRoDkmAhAAAAAASUVORK5CYII="
const fixturePdf =
  "data:application/pdf;base64,JVBERi0xLjEKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCAzMDAgMTQ0XSAvQ29udGVudHMgNCAwIFIgL1Jlc291cmNlcyA8PCAvRm9udCA8PCAvRjEgNSAwIFIgPj4gPj4gPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCA3NCA+PgpzdHJlYW0KQlQKL0YxIDEyIFRmCjcyIDcyIFRkCihUaXRsZTogT3BlblJlc3BvbnNlcyBGaWxlIElucHV0IEZpeHR1cmUpIFRqCkVUCmVuZHN0cmVhbQplbmRvYmoKNSAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEgL0Jhc2VGb250IC9IZWx2ZXRpY2EgPj4KZW5kb2JqCnRyYWlsZXIKPDwgL1Jvb3QgMSAwIFIgPj4KJSVFT0Y="

let h: Harness

/** compliance-tests.ts `makeRequest`: JSON, the key as a bearer token, `stream` set as the template says. */
const makeRequest = (body: Record<string, unknown>, streaming = false, baseUrl = `${h.url}/v1`) =>
  fetch(`${baseUrl}/responses`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ ...body, stream: streaming })
  })

interface Outcome {
  readonly errors: Array<string>
  readonly response?: any
  readonly sse?: SseParseResult & { raw: string }
}

/** compliance-tests.ts `parseResponse`: a non-2xx is a failure, then the Response must match the spec. */
const parseResponse = async (
  response: Response,
  streaming: boolean
): Promise<
  { ok: true; response: any; sse?: SseParseResult & { raw: string } } | { ok: false; errors: Array<string> }
> => {
  if (!response.ok) return { ok: false, errors: [`HTTP ${response.status}: ${await response.text()}`] }
  const sse = streaming ? await parseSseStream(response) : undefined
  const raw = sse !== undefined ? sse.finalResponse : await response.json()
  const problems = SpecValidator.validateResponse(raw)
  if (problems.length > 0) return { ok: false, errors: problems }
  return sse === undefined ? { ok: true, response: raw } : { ok: true, response: raw, sse }
}

/** `runSingleRequestTest`. */
const single = async (
  body: Record<string, unknown>,
  validators: Array<Validator>,
  streaming = false,
  baseUrl?: string
): Promise<Outcome> => {
  const parsed = await parseResponse(await makeRequest(body, streaming, baseUrl), streaming)
  if (!parsed.ok) return { errors: parsed.errors }
  const context: Context = parsed.sse === undefined ? { streaming } : { streaming, sseResult: parsed.sse }
  return {
    errors: validators.flatMap((v) => v(parsed.response, context)),
    response: parsed.response,
    ...(parsed.sse === undefined ? {} : { sse: parsed.sse })
  }
}

/** `runPreviousResponseIdTest` / `runFunctionCallRoundTripTest`: two requests, the second's Response validated. */
const twoTurns = async (
  first: Record<string, unknown>,
  second: (firstResponse: any) => Record<string, unknown> | string
): Promise<Outcome> => {
  const one = await parseResponse(await makeRequest(first), false)
  if (!one.ok) return { errors: one.errors }
  const next = second(one.response)
  if (typeof next === "string") return { errors: [next], response: one.response }
  const two = await parseResponse(await makeRequest(next), false)
  if (!two.ok) return { errors: two.errors }
  return {
    errors: [hasOutput, completedStatus].flatMap((v) => v(two.response, { streaming: false })),
    response: two.response
  }
}

// ---------------------------------------------------------------- the suite's templates

const templates: Record<string, () => Promise<Outcome>> = {
  "basic-response": () =>
    single({ model, input: [{ type: "message", role: "user", content: "Say hello in exactly 3 words." }] }, [
      hasOutput,
      completedStatus
    ]),
  "streaming-response": () =>
    single(
      { model, input: [{ type: "message", role: "user", content: "Count from 1 to 5." }] },
      [streamingEvents, streamingSchema, completedStatus],
      true
    ),
  "system-prompt": () =>
    single(
      {
        model,
        input: [
          { type: "message", role: "system", content: "You are a pirate. Always respond in pirate speak." },
          { type: "message", role: "user", content: "Say hello." }
        ]
      },
      [hasOutput, completedStatus]
    ),
  "tool-calling": () =>
    single(
      {
        model,
        input: [{ type: "message", role: "user", content: "What's the weather like in San Francisco?" }],
        tools: [weatherTool]
      },
      [hasOutput, hasOutputType("function_call")]
    ),
  "tool-calling-streaming": () =>
    single(
      {
        model,
        input: [{ type: "message", role: "user", content: "What's the weather like in San Francisco?" }],
        tools: [weatherTool]
      },
      [streamingEvents, streamingSchema, functionCallEvents],
      true
    ),
  "function-call-roundtrip": () =>
    twoTurns(
      {
        model,
        input: "Use the weather tool to get the temperature in San Francisco.",
        tools: [weatherTool],
        tool_choice: { type: "function", name: "get_weather" }
      },
      (first) => {
        const call = first.output.find((item: any) => item.type === "function_call")
        if (!call || !("call_id" in call)) return "First response did not include a function_call with call_id"
        return {
          model,
          previous_response_id: first.id,
          input: [{ type: "function_call_output", call_id: call.call_id, output: "64 degrees and clear" }]
        }
      }
    ),
  "image-input": () =>
    single(
      {
        model,
        input: [
          {
            type: "message",
            role: "user",
            content: [
              { type: "input_text", text: "What do you see in this image? Answer in one sentence." },
              { type: "input_image", image_url: heartPng }
            ]
          }
        ]
      },
      [hasOutput, completedStatus]
    ),
  "file-input": () =>
    single(
      {
        model,
        input: [
          {
            type: "message",
            role: "user",
            content: [
              { type: "input_text", text: "Read the attached file and answer with its title only." },
              { type: "input_file", filename: "openresponses-fixture.pdf", file_data: fixturePdf }
            ]
          }
        ]
      },
      [hasOutput, completedStatus]
    ),
  "multi-turn": () =>
    single(
      {
        model,
        input: [
          { type: "message", role: "user", content: "My name is Alice." },
          {
            type: "message",
            role: "assistant",
            content: "Hello Alice! Nice to meet you. How can I help you today?"
          },
          { type: "message", role: "user", content: "What is my name?" }
        ]
      },
      [hasOutput, completedStatus]
    ),
  "previous-response-id": () =>
    twoTurns({ model, input: "Remember this code word: papaya. Reply with only OK." }, (first) => ({
      model,
      previous_response_id: first.id,
      input: "What code word did I ask you to remember?"
    }))
}

describe("the Open Responses compliance suite (HTTP tests) against the spec's dialect, over a reasoning upstream", () => {
  beforeAll(async () => {
    h = await startHarness({ dialect: "openresponses", apiKey })
  })
  afterAll(() => h.close())

  it("has the suite's ten required HTTP tests", () => {
    expect(Object.keys(templates)).toHaveLength(10)
  })

  for (const [id, run] of Object.entries(templates)) {
    it(`${id} passes`, async () => {
      const outcome = await run()
      expect(outcome.errors).toEqual([])
    })
  }

  it("the upstream reasons: responses carry reasoning, streams the spec's reasoning events", async () => {
    const outcome = await templates["streaming-response"]!()
    expect(outcome.response.output[0]).toMatchObject({
      type: "reasoning",
      content: [{ type: "reasoning_text", text: "Thinking about 1 messages." }]
    })
    const types = outcome.sse!.events.map((e) => e.data.type)
    expect(types).toContain("response.reasoning.delta")
    expect(types).toContain("response.reasoning.done")
    expect(types.some((t) => t.startsWith("response.reasoning_text."))).toBe(false)
    // The spec's end marker, once, after the terminal event; and the grammar holds in this dialect too.
    expect(outcome.sse!.raw.endsWith("event: response.completed")).toBe(false)
    expect(outcome.sse!.raw.match(/data: \[DONE\]/g)).toHaveLength(1)
    expect(outcome.sse!.raw.endsWith("data: [DONE]\n\n")).toBe(true)
    const events = outcome.sse!.events.map((e) => e.data)
    expect(validateStream(events, { eventNames: outcome.sse!.events.map((e) => e.event), strict: true })).toEqual([])
    expect(SpecValidator.validateEvents(events, { dialect: "openresponses" })).toEqual([])
  })
})

describe("the same suite against the default (OpenAI) dialect", () => {
  let openai: Harness
  beforeAll(async () => {
    openai = await startHarness({ apiKey })
  })
  afterAll(() => openai.close())

  it("fails streaming-response on OpenAI's reasoning event names, which the spec does not define", async () => {
    const outcome = await single(
      { model, input: [{ type: "message", role: "user", content: "Count from 1 to 5." }] },
      [streamingEvents, streamingSchema, completedStatus],
      true,
      `${openai.url}/v1`
    )
    expect(outcome.errors.length).toBeGreaterThan(0)
    expect(outcome.errors.every((e) => e.includes("response.reasoning_text."))).toBe(true)
    expect(outcome.sse!.raw.includes("[DONE]")).toBe(false)
  })

  it("a request with an OpenResponses-Version header gets the spec's names from the same server", async () => {
    const response = await fetch(`${openai.url}/v1/responses`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${apiKey}`,
        "OpenResponses-Version": "latest"
      },
      body: JSON.stringify({ model, input: "Count from 1 to 5.", stream: true })
    })
    const sse = await parseSseStream(response)
    expect(sse.errors).toEqual([])
    expect(sse.events.map((e) => e.data.type)).toContain("response.reasoning.delta")
    expect(sse.raw.endsWith("data: [DONE]\n\n")).toBe(true)
  })

  it("a background stream and its replay speak the dialect the request asks; OpenAI's are the kept bytes", async () => {
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` }
    const spec = { ...headers, "OpenResponses-Version": "latest" }
    const created = await fetch(`${openai.url}/v1/responses`, {
      method: "POST",
      headers: spec,
      body: JSON.stringify({ model, input: "Count from 1 to 5.", stream: true, background: true })
    })
    const live = await parseSseStream(created)
    expect(live.errors).toEqual([])
    const types = live.events.map((e) => e.data.type)
    expect(types).toContain("response.reasoning.delta")
    expect(types.some((t) => t.startsWith("response.reasoning_text."))).toBe(false)
    expect(live.raw.endsWith("data: [DONE]\n\n")).toBe(true)
    const id = live.events[0]!.data.response.id
    const replay = (h: Record<string, string>, after: number) =>
      fetch(`${openai.url}/v1/responses/${id}?stream=true&starting_after=${after}`, { headers: h }).then((r) =>
        r.text()
      )
    const [asSpec, asOpenAi] = [await replay(spec, 1), await replay(headers, 1)]
    expect(asSpec.endsWith("data: [DONE]\n\n")).toBe(true)
    expect(asSpec.match(/\[DONE\]/g)).toHaveLength(1)
    expect(asSpec).toContain("event: response.reasoning.delta\n")
    expect(asSpec).not.toContain("reasoning_text.delta")
    expect(asOpenAi).not.toContain("[DONE]")
    expect(asOpenAi).toContain("event: response.reasoning_text.delta\n")
    // The same events after sequence 1, named two ways; the spec's reading is the live one's tail.
    expect(asSpec.replaceAll("response.reasoning.", "response.reasoning_text.").replace("data: [DONE]\n\n", "")).toBe(
      asOpenAi
    )
    expect(live.raw.endsWith(asSpec)).toBe(true)
  })
})
