/**
 * Real-world request bodies (test/fixtures/requests/*.json, modelled on what Codex CLI, the openai SDK, the
 * Vercel AI SDK and the OpenAI Agents SDK send) decoded by the strict request schema, then translated.
 */
import { describe, expect, it } from "@effect/vitest"
import { ChatCompletions, OpenAiError, ResponsesRequest } from "@parlance/schema"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { type ChatRequestPlan, type HistoryItem, type Options, toChatRequest } from "../src/ToChatRequest.js"
import type { TranslateError } from "../src/TranslateError.js"

const dir = join(import.meta.dirname, "fixtures", "requests")
const raw = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"))
const decode = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)

const decoded = (body: unknown): ResponsesRequest.CreateResponseRequest => {
  const result = decode(body)
  if (Result.isFailure(result)) throw new Error(JSON.stringify(OpenAiError.fromParseError(result.failure)))
  return result.success
}
const plan = (body: unknown, options?: Options, history?: ReadonlyArray<HistoryItem>): ChatRequestPlan => {
  const result = toChatRequest(decoded(body), history, options)
  if (Result.isFailure(result))
    throw new Error(`${result.failure._tag}: ${result.failure.param}: ${result.failure.message}`)
  return result.success
}
const refused = (body: unknown, options?: Options): TranslateError => {
  const result = toChatRequest(decoded(body), [], options)
  if (Result.isSuccess(result)) throw new Error("expected a refusal")
  return result.failure
}
const parseParam = (body: unknown): string | null => {
  const result = decode(body)
  if (Result.isSuccess(result)) throw new Error("expected a decode failure")
  const error = OpenAiError.fromParseError(result.failure)
  expect(Schema.decodeUnknownResult(OpenAiError.ErrorBody)(error)._tag).toBe("Success")
  expect(error.error.type).toBe("invalid_request_error")
  return error.error.param
}

type Message = ChatCompletions.ChatMessage
const assistants = (p: ChatRequestPlan) =>
  p.request.messages.filter((m): m is Extract<Message, { role: "assistant" }> => m.role === "assistant")
const roles = (p: ChatRequestPlan) => p.request.messages.map((m) => m.role)

describe("every real-world fixture", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"))
  it("there are fixtures for each client", () => {
    expect(files.sort()).toEqual([
      "codex-cli.json",
      "openai-agents-sdk.json",
      "openai-sdk-image.json",
      "openai-sdk-string.json",
      "vercel-ai-sdk.json"
    ])
  })
  for (const file of files) {
    it(`${file} decodes and translates to a valid Chat Completions request`, () => {
      const p = plan(raw(file.replace(/\.json$/, "")))
      expect(Schema.decodeUnknownResult(ChatCompletions.ChatCompletionRequest)(p.request)._tag).toBe("Success")
      expect(p.request.stream).toBe(true)
      expect(p.request.stream_options).toEqual({ include_usage: true })
      // Every tool call is answered by a tool message with its id, and every tool message answers a call.
      const callIds = assistants(p).flatMap((m) => (m.tool_calls ?? []).map((c) => c.id))
      const toolIds = p.request.messages.flatMap((m) => (m.role === "tool" ? [m.tool_call_id] : []))
      expect(toolIds).toEqual(callIds)
    })
  }
})

describe("Codex CLI", () => {
  const body = raw("codex-cli")
  const p = plan(body)

  it("instructions → a leading system message; developer → system", () => {
    expect(p.request.messages[0]).toEqual({ role: "system", content: body.instructions })
    expect(p.request.messages[1]!.role).toBe("system")
    expect(String(p.request.messages[1]!.content)).toContain("<permissions instructions>")
  })

  it("the conversation keeps its order", () => {
    expect(roles(p)).toEqual([
      "system",
      "system",
      "user",
      "user",
      "assistant",
      "tool",
      "assistant",
      "tool",
      "assistant",
      "tool",
      "assistant",
      "user"
    ])
  })

  it("reasoning items: encrypted-only / summary null are skipped, summary or reasoning_text → the next assistant's reasoning_content", () => {
    const [first, second, third, last] = assistants(p)
    expect(first!.reasoning_content).toBeUndefined()
    expect(second!.reasoning_content).toBe("**Fixing the sign**\n\nThe implementation subtracts instead of adding.")
    expect(third!.reasoning_content).toBe("Now run the tests to confirm.")
    expect(last).toEqual({ role: "assistant", content: "Fixed `sum` to add instead of subtract; the test passes now." })
  })

  it("function_call → assistant tool_calls (content null); function_call_output → tool message", () => {
    const [first] = assistants(p)
    expect(first).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_Zb1q0mQxkC7p2v",
          type: "function",
          function: { name: "shell", arguments: (body.input as Array<Record<string, unknown>>)[4]!.arguments }
        }
      ]
    })
    expect(p.request.messages[5]).toMatchObject({ role: "tool", tool_call_id: "call_Zb1q0mQxkC7p2v" })
  })

  it("custom_tool_call → a function call with {input}; its output → tool message", () => {
    const call = assistants(p)[1]!.tool_calls![0]!
    expect(call.function.name).toBe("apply_patch")
    expect(JSON.parse(call.function.arguments)).toEqual({
      input: (body.input as Array<Record<string, unknown>>)[8]!.input
    })
    expect(p.request.messages[7]).toMatchObject({ role: "tool", tool_call_id: "call_Ap9LfWm3Qe" })
  })

  it("custom tool → a function with one required string parameter `input`, mapped back as custom", () => {
    const fn = p.request.tools!.find((t) => t.function.name === "apply_patch")!
    expect(fn.function.parameters).toMatchObject({
      type: "object",
      properties: { input: { type: "string" } },
      required: ["input"],
      additionalProperties: false
    })
    expect(Object.keys((fn.function.parameters as { properties: object }).properties)).toEqual(["input"])
    // The lark grammar reaches the model through the parameter's description.
    expect(JSON.stringify(fn.function.parameters)).toContain("begin_patch hunk+ end_patch")
    expect(p.tools.get("apply_patch")).toEqual({ kind: "custom", name: "apply_patch" })
  })

  it("namespace tools → `ns__name` functions, mapped back to name + namespace", () => {
    const names = p.request.tools!.map((t) => t.function.name)
    expect(names).toEqual(["shell", "apply_patch", "github__list_issues", "github__get_issue"])
    expect(p.tools.get("github__list_issues")).toEqual({ kind: "function", name: "list_issues", namespace: "github" })
    expect(p.tools.get("github__get_issue")).toEqual({ kind: "function", name: "get_issue", namespace: "github" })
    expect(p.request.tools![2]!.function.strict).toBe(false)
  })

  it("built-in tools are skipped with a warning", () => {
    expect(p.warnings.filter((w) => /built-in tool/.test(w))).toHaveLength(2)
    expect(p.warnings.join("\n")).toMatch(/web_search/)
    expect(p.warnings.join("\n")).toMatch(/local_shell/)
  })

  it("…and refused with strictTools, naming tools[i].type", () => {
    const error = refused(body, { strictTools: true })
    expect(error._tag).toBe("UnsupportedFeature")
    expect(error.param).toBe("tools[3].type")
  })

  it("maps tool_choice, parallel_tool_calls, reasoning effort/summary", () => {
    expect(p.request.tool_choice).toBe("auto")
    expect(p.request.parallel_tool_calls).toBe(false)
    expect(p.request.reasoning_effort).toBe("medium")
    expect(p.reasoning).toBe("summary")
    expect(p.request.response_format).toBeUndefined()
  })
})

describe("openai SDK", () => {
  it("input string → one user message", () => {
    const p = plan(raw("openai-sdk-string"))
    expect(p.request).toMatchObject({
      model: "gpt-4.1",
      messages: [{ role: "user", content: "Write a one-sentence bedtime story about a unicorn." }]
    })
    expect(p.request.tools).toBeUndefined()
    expect(p.reasoning).toBe("text")
    expect(p.warnings).toEqual([])
  })

  it("input_image → image_url parts (URL and data URL), sampling fields mapped", () => {
    const p = plan(raw("openai-sdk-image"))
    expect(p.request.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what's in this image?" },
          { type: "image_url", image_url: { url: expect.stringMatching(/^https:\/\//), detail: "auto" } },
          { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) } }
        ]
      }
    ])
    expect(p.request).toMatchObject({ max_tokens: 300, temperature: 0.2, top_p: 0.9, user: "user_123" })
  })
})

describe("Vercel AI SDK (@ai-sdk/openai .responses())", () => {
  const p = plan(raw("vercel-ai-sdk"))

  it("consecutive function_call items → ONE assistant message with several tool_calls", () => {
    expect(roles(p)).toEqual(["system", "user", "assistant", "tool", "tool", "user"])
    const [a] = assistants(p)
    expect(a!.content).toBeNull()
    expect(a!.tool_calls!.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([
      ["call_5Yw0fQkGzS3r", "weather", '{"location":"San Francisco"}'],
      ["call_8Hn2pLcVb1x", "weather", '{"location":"Tokyo"}']
    ])
  })

  it("input_text-only content collapses to a string", () => {
    expect(p.request.messages[1]).toEqual({ role: "user", content: "What is the weather in San Francisco and Tokyo?" })
  })

  it("text.format json_schema → response_format; strict:false kept on tools", () => {
    expect(p.request.response_format).toMatchObject({
      type: "json_schema",
      json_schema: {
        name: "response",
        strict: false,
        description: "The weather report.",
        schema: { required: ["cities"] }
      }
    })
    expect(p.request.tools).toEqual([
      {
        type: "function",
        function: {
          name: "weather",
          description: "Get the weather in a location",
          parameters: expect.objectContaining({ required: ["location"] }),
          strict: false
        }
      }
    ])
  })

  it("named tool_choice → function choice; max_output_tokens → max_tokens; temperature 0 kept", () => {
    expect(p.request.tool_choice).toEqual({ type: "function", function: { name: "weather" } })
    expect(p.request.max_tokens).toBe(1024)
    expect(p.request.temperature).toBe(0)
    expect(p.request.reasoning_effort).toBe("low")
  })

  it("json_object format", () => {
    const q = plan({ ...raw("vercel-ai-sdk"), text: { format: { type: "json_object" } } })
    expect(q.request.response_format).toEqual({ type: "json_object" })
  })

  it("an unknown tool_choice name → InvalidRequest at tool_choice.name", () => {
    const error = refused({ ...raw("vercel-ai-sdk"), tool_choice: { type: "function", name: "nope" } })
    expect(error._tag).toBe("InvalidRequest")
    expect(error.param).toBe("tool_choice.name")
  })
})

describe("OpenAI Agents SDK", () => {
  const p = plan(raw("openai-agents-sdk"))

  it("accepts ids (rs_, fc_, __fake_id__), untyped assistant messages, object arguments, array outputs", () => {
    expect(roles(p)).toEqual(["system", "user", "assistant", "tool", "tool", "assistant", "user"])
    const [calls, answer] = assistants(p)
    expect(calls!.reasoning_content).toBe("I should search hotels in Lisbon, then get a photo of the best one.")
    expect(calls!.tool_calls!.map((c) => c.function.name)).toEqual(["search_hotels", "hotel_photo"])
    expect(JSON.parse(calls!.tool_calls![0]!.function.arguments)).toEqual({
      city: "Lisbon",
      nights: 2,
      max_price_eur: 180
    })
    expect(answer).toEqual({ role: "assistant", content: "I found Memmo Alfama for €165/night." })
  })

  it("function_call_output as parts: text parts join, an image keeps the parts", () => {
    expect(p.request.messages[3]).toEqual({
      role: "tool",
      tool_call_id: "call_hotel_1",
      content: '[{"name":"Memmo Alfama","price_eur":165}]\n1 result'
    })
    expect(p.request.messages[4]).toEqual({
      role: "tool",
      tool_call_id: "call_photo_2",
      content: [
        { type: "text", text: "Photo of Memmo Alfama:" },
        { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP8=" } }
      ]
    })
  })

  it("strict tools kept, tool_choice required, text format text → no response_format, null reasoning → text", () => {
    expect(p.request.tools!.every((t) => t.function.strict === true)).toBe(true)
    expect(p.request.tool_choice).toBe("required")
    expect(p.request.parallel_tool_calls).toBe(true)
    expect(p.request.response_format).toBeUndefined()
    expect(p.request.reasoning_effort).toBeUndefined()
    expect(p.reasoning).toBe("text")
  })
})

describe("refusals and references", () => {
  const base = { model: "m", input: [{ role: "user", content: "hi" }] }

  it("input_file → UnsupportedFeature naming the part", () => {
    const error = refused({
      model: "m",
      input: [
        { role: "user", content: "summarise this" },
        {
          role: "user",
          content: [{ type: "input_file", filename: "report.pdf", file_data: "data:application/pdf;base64,JVBERi0=" }]
        }
      ]
    })
    expect(error._tag).toBe("UnsupportedFeature")
    expect(error.param).toBe("input[1].content[0]")
  })

  it("input_file read beforehand (fileText) becomes text in the user turn; an unread one is still refused", () => {
    const file = { type: "input_file", filename: "a.csv", file_data: "data:text/csv,a%2Cb" }
    const other = { type: "input_file", filename: "b.csv", file_data: "data:text/csv,c" }
    const body = { model: "m", input: [{ role: "user", content: [{ type: "input_text", text: "Read:" }, file] }] }
    // Parts are matched by identity: decode first, then hand the decoded parts to fileText.
    const request = decoded(body)
    const part = (request.input as any)[0].content[1]
    const p = Result.getOrThrow(
      toChatRequest(request, [], { fileText: (f) => (f === part ? "<file a.csv>" : undefined) })
    )
    expect(p.request.messages).toEqual([{ role: "user", content: "Read:\n<file a.csv>" }])
    const error = refused({ model: "m", input: [{ role: "user", content: [other] }] }, { fileText: () => undefined })
    expect(error).toMatchObject({ _tag: "UnsupportedFeature", param: "input[0].content[0]" })
  })

  it("input_file inside a function_call_output names the output part", () => {
    const error = refused({
      model: "m",
      input: [
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        {
          type: "function_call_output",
          call_id: "c",
          output: [
            { type: "input_text", text: "x" },
            { type: "input_file", file_id: "file-1" }
          ]
        }
      ]
    })
    expect(error.param).toBe("input[1].output[1]")
  })

  it("an input_image by file_id is refused, naming it", () => {
    const error = refused({
      model: "m",
      input: [{ role: "user", content: [{ type: "input_image", file_id: "file-abc" }] }]
    })
    expect(error).toMatchObject({ _tag: "UnsupportedFeature", param: "input[0].content[0].file_id" })
  })

  it("an unknown item type is a decode failure whose param names input[i].type", () => {
    expect(
      parseParam({
        model: "m",
        input: [
          { role: "user", content: "hi" },
          { type: "hologram_call_output", call_id: "c", output: {} }
        ]
      })
    ).toBe("input[1].type")
    expect(
      parseParam({
        model: "m",
        input: [{ role: "user", content: "hi" }, { role: "user", content: "x" }, { type: "mystery" }]
      })
    ).toBe("input[2].type")
  })

  it("an unknown content part type names input[i].content[j].type", () => {
    expect(
      parseParam({
        model: "m",
        input: [
          { role: "user", content: "a" },
          { role: "user", content: "b" },
          { role: "user", content: [{ type: "input_video", url: "x" }] }
        ]
      })
    ).toBe("input[2].content[0].type")
  })

  it("item_reference is resolved through resolveItem (also inside a run of function calls)", () => {
    const stored: Record<string, HistoryItem> = {
      fc_1: { type: "function_call", call_id: "call_1", name: "f", arguments: '{"a":1}' },
      fc_2: { type: "function_call", id: "fc_2", call_id: "call_2", name: "g", arguments: "{}", status: "completed" }
    }
    const p = plan(
      {
        model: "m",
        input: [
          { role: "user", content: "go" },
          { type: "item_reference", id: "fc_1" },
          { type: "item_reference", id: "fc_2" },
          { type: "function_call_output", call_id: "call_1", output: "1" },
          { type: "function_call_output", call_id: "call_2", output: "2" }
        ]
      },
      { resolveItem: (id) => stored[id] }
    )
    expect(roles(p)).toEqual(["user", "assistant", "tool", "tool"])
    expect(assistants(p)[0]!.tool_calls!.map((c) => c.id)).toEqual(["call_1", "call_2"])
  })

  it("an unresolved item_reference → InvalidRequest at input[i].id", () => {
    const error = refused({
      model: "m",
      input: [
        { role: "user", content: "go" },
        { type: "item_reference", id: "msg_missing" }
      ]
    })
    expect(error).toMatchObject({ _tag: "InvalidRequest", param: "input[1].id", code: "item_not_found" })
  })

  it("a tool output that answers no call → InvalidRequest at input[i].call_id (OpenAI refuses an orphan)", () => {
    const error = refused({
      model: "m",
      input: [
        { role: "user", content: "go" },
        { type: "function_call_output", call_id: "call_missing", output: "42" }
      ]
    })
    expect(error).toMatchObject({ _tag: "InvalidRequest", param: "input[1].call_id" })
    expect(error.message).toContain("call_missing")
    // The same output after its call (in the input or the history) is the normal case.
    const call = { type: "function_call", call_id: "call_missing", name: "f", arguments: "{}" }
    expect(() =>
      plan({
        model: "m",
        input: [
          { role: "user", content: "go" },
          call,
          { type: "function_call_output", call_id: "call_missing", output: "42" }
        ]
      })
    ).not.toThrow()
  })

  it("background: true (with the SDK's background_options) translates like the same request in the foreground", () => {
    const options = { completion_window: "2h", continuation_id: "job-7" }
    expect(plan({ ...base, background: true, background_options: options })).toEqual(plan(base))
    expect(parseParam({ ...base, background_options: { completion_window: "1h" } })).toBe(
      "background_options.completion_window"
    )
  })

  it("history (previous_response_id) comes before the input; instructions are not inherited", () => {
    const history: ReadonlyArray<HistoryItem> = [
      { type: "message", role: "user", content: "first" },
      {
        type: "message",
        id: "msg_1",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "one", annotations: [], logprobs: [] }]
      }
    ]
    const p = plan({ ...base, instructions: "be brief" }, {}, history)
    expect(p.request.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "first" },
      { role: "assistant", content: "one" },
      { role: "user", content: "hi" }
    ])
  })

  it("an empty reasoning item (encrypted only) between two function calls does not split them", () => {
    const p = plan({
      model: "m",
      input: [
        { role: "user", content: "go" },
        { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
        { type: "reasoning", summary: [], encrypted_content: "gAAAA" },
        { type: "function_call", call_id: "b", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "a", output: "1" },
        { type: "function_call_output", call_id: "b", output: "2" }
      ]
    })
    expect(roles(p)).toEqual(["user", "assistant", "tool", "tool"])
  })

  it("a request with no model and no default → missing_required_parameter at model; defaultModel fills it", () => {
    expect(refused({ input: "hi" })).toMatchObject({ param: "model", code: "missing_required_parameter" })
    expect(refused({ model: "m", input: [] })).toMatchObject({ param: "input", code: "missing_required_parameter" })
    expect(plan({ input: "hi" }, { defaultModel: "local" }).request.model).toBe("local")
  })
})

describe("reasoning inside one assistant turn", () => {
  it("reasoning with text between consecutive function calls keeps them one assistant message", () => {
    const p = plan({
      model: "m",
      input: [
        { role: "user", content: "do two things" },
        { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "first" }] },
        { type: "function_call", call_id: "c1", name: "a", arguments: "{}" },
        { type: "reasoning", id: "rs_2", summary: [{ type: "summary_text", text: "second" }] },
        { type: "function_call", call_id: "c2", name: "b", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
        { type: "function_call_output", call_id: "c2", output: "ok" }
      ]
    })
    expect(roles(p)).toEqual(["user", "assistant", "tool", "tool"])
    const [assistant] = assistants(p)
    expect(assistant!.tool_calls!.map((c) => c.id)).toEqual(["c1", "c2"])
    expect(assistant!.reasoning_content).toBe("first\nsecond")
  })
})
