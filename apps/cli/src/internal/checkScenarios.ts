/**
 * `parlance check`'s scenarios: what each asks of a `/v1/responses` server and how its answer is judged.
 * The HTTP is injected (`Post`), so this module decides everything and performs no IO of its own.
 */
import {
  type Capture,
  endedWith,
  functionCalls,
  messageText,
  parseArguments,
  requireCompleted,
  short,
  str,
  type StreamView,
  type Verdict,
  viewJson,
  viewStream
} from "./checkJudge.js"
import { isObject, type Json } from "./json.js"
import type { Outcome } from "./responsesClient.js"

export type Post = (body: unknown) => Promise<Outcome>

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly run: (post: Post, model: string) => Promise<Verdict>
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Get the current weather in a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string", description: "The city name" } },
    required: ["city"],
    additionalProperties: false
  }
}
const timeTool = {
  type: "function",
  name: "get_time",
  description: "Get the current local time in a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string", description: "The city name" } },
    required: ["city"],
    additionalProperties: false
  }
}
const weatherPrompt = "What is the weather in Paris? Use the get_weather tool."
const weatherResult = JSON.stringify({ city: "Paris", temperature_c: 21, sky: "clear" })

/** Records every request of a scenario; `stream` answers the judged view or a failure reason. */
const session = (post: Post) => {
  const captures: Array<Capture> = []
  const send = async (label: string, body: Json): Promise<Outcome> => {
    const outcome = await post(body)
    captures.push({ label, request: body, outcome })
    return outcome
  }
  return {
    captures,
    stream: async (label: string, body: Json): Promise<StreamView | string> =>
      viewStream(await send(label, { ...body, stream: true })),
    json: async (label: string, body: Json): Promise<Json | string> =>
      viewJson(await send(label, { ...body, stream: false }))
  }
}

const fail = (captures: ReadonlyArray<Capture>, failure: string, notes: ReadonlyArray<string> = []): Verdict => ({
  captures,
  failure,
  notes
})
const ok = (captures: ReadonlyArray<Capture>, notes: ReadonlyArray<string> = []): Verdict => ({ captures, notes })

const itemTypes = (response: Json | undefined): string =>
  JSON.stringify(Array.isArray(response?.output) ? response.output.map((i) => (isObject(i) ? i.type : null)) : null)

/** Why a response has no usable call of `name` (undefined: it has one). */
const callProblem = (view: StreamView, name: string): string | undefined => {
  const calls = functionCalls(view.response)
  if (calls.length === 0) {
    const text = messageText(view.response)
    return `no function_call in the output (${endedWith(view)}${text ? `; the model answered with text: "${short(text)}"` : ""})`
  }
  const call = calls.find((c) => c.name === name)
  if (call === undefined) return `expected a call of ${name}, got ${calls.map((c) => str(c.name)).join(", ")}`
  const args = parseArguments(call)
  return typeof args === "string" ? args : undefined
}

const stream: Scenario = {
  name: "stream",
  description: "plain streamed text answer",
  run: async (post, model) => {
    const s = session(post)
    const view = await s.stream("", { model, input: "Say hello in one short sentence." })
    if (typeof view === "string") return fail(s.captures, view)
    const problem =
      requireCompleted(view) ?? (messageText(view.response) === "" ? "the response has no output_text" : undefined)
    return problem ? fail(s.captures, problem) : ok(s.captures)
  }
}

const nonStream: Scenario = {
  name: "non-stream",
  description: "stream: false returns the Response a stream ends with (status, output item types)",
  run: async (post, model) => {
    const s = session(post)
    const body = { model, input: "Say hello in one short sentence." }
    const json = await s.json("", body)
    if (typeof json === "string") return fail(s.captures, `non-stream: ${json}`)
    if (json.object !== "response")
      return fail(s.captures, `non-stream: object is ${JSON.stringify(json.object)}, expected "response"`)
    const view = await s.stream("", body)
    if (typeof view === "string") return fail(s.captures, `stream: ${view}`)
    if (view.response === undefined) return fail(s.captures, `stream: ${endedWith(view)}`)
    if (json.status !== view.response.status)
      return fail(s.captures, `non-stream status ${str(json.status)} ≠ stream status ${str(view.response.status)}`)
    if (itemTypes(json) !== itemTypes(view.response))
      return fail(s.captures, `non-stream output types ${itemTypes(json)} ≠ stream ${itemTypes(view.response)}`)
    return ok(s.captures)
  }
}

const toolCall: Scenario = {
  name: "tool-call",
  description: "one function call (tool_choice required, get_weather)",
  run: async (post, model) => {
    const s = session(post)
    const view = await s.stream("", { model, input: weatherPrompt, tools: [weatherTool], tool_choice: "required" })
    if (typeof view === "string") return fail(s.captures, view)
    const problem = requireCompleted(view) ?? callProblem(view, "get_weather")
    return problem ? fail(s.captures, problem) : ok(s.captures)
  }
}

const consecutiveToolCalls: Scenario = {
  name: "consecutive-tool-calls",
  description: "two function calls in one response (two tools, parallel_tool_calls)",
  run: async (post, model) => {
    const s = session(post)
    const view = await s.stream("", {
      model,
      input: "Call get_weather for Paris AND get_time for Tokyo. Make both calls now, in this one response.",
      tools: [weatherTool, timeTool],
      tool_choice: "required",
      parallel_tool_calls: true
    })
    if (typeof view === "string") return fail(s.captures, view)
    const completed = requireCompleted(view)
    if (completed) return fail(s.captures, completed)
    const calls = functionCalls(view.response)
    if (calls.length < 2) return fail(s.captures, `${calls.length} function call(s) in the output, expected 2`)
    const bad = calls.map(parseArguments).find((a) => typeof a === "string")
    if (bad !== undefined) return fail(s.captures, String(bad))
    const ids = new Set(calls.map((c) => str(c.call_id)))
    return ids.size === calls.length ? ok(s.captures) : fail(s.captures, "two function calls share a call_id")
  }
}

const toolLoop: Scenario = {
  name: "tool-loop",
  description: "function call → function_call_output (previous_response_id, else full input replay) → answer",
  run: async (post, model) => {
    const s = session(post)
    const tools = [weatherTool]
    const first = await s.stream("call", { model, input: weatherPrompt, tools, tool_choice: "required" })
    if (typeof first === "string") return fail(s.captures, `call: ${first}`)
    const problem = requireCompleted(first) ?? callProblem(first, "get_weather")
    if (problem) return fail(s.captures, `call: ${problem}`)
    const calls = functionCalls(first.response)
    const outputs = calls.map((c) => ({ type: "function_call_output", call_id: str(c.call_id), output: weatherResult }))
    const notes: Array<string> = []
    let view = await s.stream("", { model, tools, previous_response_id: str(first.response?.id), input: outputs })
    if (typeof view === "string") {
      notes.push(`previous_response_id refused (${view}); replayed the full input instead`)
      const replay = [
        { role: "user", content: weatherPrompt },
        ...calls.map((c) => ({
          type: "function_call",
          call_id: str(c.call_id),
          name: str(c.name),
          arguments: str(c.arguments)
        })),
        ...outputs
      ]
      view = await s.stream("replay", { model, tools, input: replay })
      if (typeof view === "string") return fail(s.captures, `after the tool output: ${view}`, notes)
    }
    const answer =
      requireCompleted(view) ??
      (messageText(view.response) === ""
        ? `no text answer after the tool output (output types ${itemTypes(view.response)})`
        : undefined)
    return answer ? fail(s.captures, `after the tool output: ${answer}`, notes) : ok(s.captures, notes)
  }
}

const jsonSchema: Scenario = {
  name: "json-schema",
  description: "text.format json_schema: the output_text parses and has the required keys",
  run: async (post, model) => {
    const s = session(post)
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, temperature_c: { type: "number" } },
      required: ["city", "temperature_c"],
      additionalProperties: false
    }
    const view = await s.stream("", {
      model,
      input: "Give the city Paris and a plausible temperature in Celsius as JSON.",
      text: { format: { type: "json_schema", name: "weather", schema, strict: true } }
    })
    if (typeof view === "string") return fail(s.captures, view)
    const completed = requireCompleted(view)
    if (completed) return fail(s.captures, completed)
    const text = messageText(view.response)
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return fail(s.captures, `the output_text is not JSON: "${short(text)}"`)
    }
    if (!isObject(parsed)) return fail(s.captures, `the output_text is not a JSON object: "${short(text)}"`)
    const missing = schema.required.filter((k) => !(k in parsed))
    return missing.length > 0
      ? fail(s.captures, `the JSON lacks required key(s) ${missing.join(", ")}: "${short(text)}"`)
      : ok(s.captures)
  }
}

const previousResponseId: Scenario = {
  name: "previous-response-id",
  description: "a second turn chained with previous_response_id",
  run: async (post, model) => {
    const s = session(post)
    const first = await s.stream("turn1", { model, input: "My name is Ada. Reply with OK." })
    if (typeof first === "string") return fail(s.captures, `turn 1: ${first}`)
    const done = requireCompleted(first)
    if (done) return fail(s.captures, `turn 1: ${done}`)
    const id = str(first.response?.id)
    const second = await s.stream("", {
      model,
      input: "What is my name? Answer with the name only.",
      previous_response_id: id
    })
    if (typeof second === "string") return fail(s.captures, `turn 2: ${second}`)
    const done2 = requireCompleted(second)
    if (done2) return fail(s.captures, `turn 2: ${done2}`)
    const echoed = second.response?.previous_response_id
    if (echoed !== id)
      return fail(s.captures, `turn 2's previous_response_id is ${JSON.stringify(echoed)}, expected "${id}"`)
    const text = messageText(second.response)
    return ok(
      s.captures,
      /ada/i.test(text)
        ? []
        : [`the answer does not mention Ada: "${short(text)}" (the model may not have seen turn 1)`]
    )
  }
}

const maxOutputTokens: Scenario = {
  name: "max-output-tokens",
  description: "max_output_tokens cut: status incomplete, reason max_output_tokens, terminal response.incomplete",
  run: async (post, model) => {
    const s = session(post)
    const view = await s.stream("", {
      model,
      input: "Count from 1 to 500, separated by spaces.",
      max_output_tokens: 16
    })
    if (typeof view === "string") return fail(s.captures, view)
    const reason = isObject(view.response?.incomplete_details) ? str(view.response.incomplete_details.reason) : ""
    if (
      view.terminal !== "response.incomplete" ||
      view.response?.status !== "incomplete" ||
      reason !== "max_output_tokens"
    ) {
      return fail(
        s.captures,
        `expected response.incomplete with reason max_output_tokens, the stream ended with ${endedWith(view)}${reason ? `, reason ${reason}` : ""}`
      )
    }
    return ok(s.captures)
  }
}

/** Every scenario, in the order they run. */
export const scenarios: ReadonlyArray<Scenario> = [
  stream,
  nonStream,
  toolCall,
  consecutiveToolCalls,
  toolLoop,
  jsonSchema,
  previousResponseId,
  maxOutputTokens
]
