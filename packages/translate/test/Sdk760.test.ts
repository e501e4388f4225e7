/**
 * What the official openai SDK 7.60 lets a client send: every sample below is typed with the SDK's own
 * `ResponseCreateParamsNonStreaming` (the typechecker proves the SDK allows it), then decoded by the request
 * schema and translated. None may be a 400; what each new item becomes is checked (docs/architecture.md#request-translation).
 */
import { describe, expect, it } from "@effect/vitest"
import { OpenAiError, ResponsesRequest } from "@parlance/schema"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from "openai/resources/responses/responses"
import { toChatRequest } from "../src/ToChatRequest.js"

const decode = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest, { errors: "all" })

const translate = (body: ResponseCreateParamsNonStreaming) => {
  const decoded = decode(body)
  if (Result.isFailure(decoded)) throw new Error(JSON.stringify(OpenAiError.fromParseError(decoded.failure)))
  const plan = toChatRequest(decoded.success, [])
  if (Result.isFailure(plan)) throw new Error(`${plan.failure.param}: ${plan.failure.message}`)
  return plan.success
}

const user = { role: "user", content: "Go on." } as const

describe("SDK 7.60 request shapes", () => {
  it("prompt_cache_breakpoint on text, image and file parts is accepted and changes nothing sent", () => {
    const marked = translate({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            {
              type: "input_text",
              text: "A long shared prefix.",
              prompt_cache_breakpoint: { mode: "explicit", ttl: "30m" }
            },
            { type: "input_text", text: "The question." },
            {
              type: "input_image",
              detail: "auto",
              image_url: "data:image/png;base64,AA==",
              prompt_cache_breakpoint: { mode: "explicit" }
            }
          ]
        }
      ],
      prompt_cache_options: { ttl: "30m" }
    })
    const plain = translate({
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "A long shared prefix." },
            { type: "input_text", text: "The question." },
            { type: "input_image", detail: "auto", image_url: "data:image/png;base64,AA==" }
          ]
        }
      ]
    })
    expect(marked.request).toEqual(plain.request)
    // A malformed breakpoint is a 400 naming it, as on OpenAI.
    const bad = decode({
      model: "m",
      input: [
        { role: "user", content: [{ type: "input_text", text: "x", prompt_cache_breakpoint: { mode: "implicit" } }] }
      ]
    })
    expect(Result.isFailure(bad) && OpenAiError.fromParseError(bad.failure).error.param).toBe(
      "input[0].content[0].prompt_cache_breakpoint.mode"
    )
  })

  it("shell_call / shell_call_output are replayed as a `shell` tool call and its output", () => {
    const input: Array<ResponseInputItem> = [
      user,
      {
        type: "shell_call",
        call_id: "sh_1",
        action: { commands: ["ls", "cat x"], timeout_ms: 1000 },
        caller: { type: "direct" },
        status: "completed"
      },
      {
        type: "shell_call_output",
        call_id: "sh_1",
        output: [
          { stdout: "x\n", stderr: "", outcome: { type: "exit", exit_code: 0 } },
          { stdout: "", stderr: "slow", outcome: { type: "timeout" } }
        ]
      }
    ]
    const plan = translate({ model: "m", input })
    expect(plan.request.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "sh_1",
            type: "function",
            function: { name: "shell", arguments: '{"commands":["ls","cat x"],"timeout_ms":1000}' }
          }
        ]
      },
      { role: "tool", tool_call_id: "sh_1", content: "stdout:\nx\n\n(exit code 0)\n\nstderr:\nslow\n(timeout)" }
    ])
    expect(plan.warnings).toEqual([])
  })

  it("apply_patch_call / apply_patch_call_output are replayed as an `apply_patch` tool call and its output", () => {
    const input: Array<ResponseInputItem> = [
      user,
      {
        type: "apply_patch_call",
        call_id: "ap_1",
        status: "completed",
        operation: { type: "update_file", path: "a.ts", diff: "@@\n-a\n+b" }
      },
      { type: "apply_patch_call_output", call_id: "ap_1", status: "failed", output: "no such hunk" }
    ]
    const plan = translate({ model: "m", input })
    expect(plan.request.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "ap_1",
            type: "function",
            function: {
              name: "apply_patch",
              arguments: '{"type":"update_file","path":"a.ts","diff":"@@\\n-a\\n+b"}'
            }
          }
        ]
      },
      { role: "tool", tool_call_id: "ap_1", content: "failed\nno such hunk" }
    ])
  })

  it("configuration_update sets the effort and text format from its place on", () => {
    const plan = translate({
      model: "m",
      reasoning: { effort: "low" },
      input: [
        user,
        {
          type: "configuration_update",
          reasoning: { effort: "max" },
          text: { format: { type: "json_schema", name: "out", schema: { type: "object" } } }
        }
      ]
    })
    expect(plan.request.reasoning_effort).toBe("max")
    expect(plan.request.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "out", schema: { type: "object" } }
    })
    expect(plan.request.messages).toEqual([{ role: "user", content: "Go on." }])
  })

  it("program / program_output are skipped with a warning; the calls the program made are replayed", () => {
    const plan = translate({
      model: "m",
      input: [
        user,
        { type: "program", id: "pg_1", call_id: "p1", code: "await tools.f()", fingerprint: "fp" },
        {
          type: "function_call",
          call_id: "c1",
          name: "f",
          arguments: "{}",
          caller: { type: "program", caller_id: "pg_1" }
        },
        { type: "function_call_output", call_id: "c1", output: "1", caller: { type: "program", caller_id: "pg_1" } },
        // An output naming no call: nothing to answer.
        { type: "function_call_output", name: "f", output: "2" },
        { type: "program_output", id: "po_1", call_id: "p1", result: "done", status: "completed" }
      ]
    })
    expect(plan.request.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }]
      },
      { role: "tool", tool_call_id: "c1", content: "1" }
    ])
    expect(plan.warnings).toHaveLength(3)
    expect(plan.warnings.join("\n")).toMatch(/input\[1\].*'program'.*skipped/)
  })

  it("an untyped item reference ({ id }) reads as item_reference", () => {
    const decoded = decode({ model: "m", input: [user, { id: "msg_1" }] })
    expect(Result.isSuccess(decoded) && decoded.success.input).toEqual([user, { type: "item_reference", id: "msg_1" }])
  })

  it("every tool, tool_choice, include value and reasoning/text option the SDK allows decodes", () => {
    const tools: Array<Tool> = [
      {
        type: "function",
        name: "f",
        parameters: { type: "object" },
        strict: true,
        defer_loading: true,
        allowed_callers: ["direct", "programmatic"]
      },
      { type: "custom", name: "c", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } },
      { type: "namespace", name: "ns", description: "d", tools: [{ type: "function", name: "g" }] },
      { type: "file_search", vector_store_ids: ["vs"] },
      { type: "computer" },
      { type: "computer_use_preview", display_height: 1, display_width: 1, environment: "linux" },
      { type: "web_search" },
      { type: "web_search_2025_08_26" },
      { type: "web_search_preview" },
      { type: "mcp", server_label: "s" },
      { type: "code_interpreter", container: { type: "auto" } },
      { type: "programmatic_tool_calling" },
      { type: "image_generation" },
      { type: "local_shell" },
      { type: "shell" },
      { type: "tool_search" },
      { type: "apply_patch" }
    ]
    const choices: Array<ResponseCreateParamsNonStreaming["tool_choice"]> = [
      "auto",
      "none",
      "required",
      { type: "function", name: "f" },
      { type: "custom", name: "c" },
      { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }] },
      { type: "computer_use" },
      { type: "computer_use_preview" },
      { type: "file_search" },
      { type: "mcp", server_label: "s" },
      { type: "shell" },
      { type: "apply_patch" },
      { type: "programmatic_tool_calling" }
    ]
    for (const tool_choice of choices) {
      const plan = translate({
        model: "m",
        input: "hi",
        tools,
        tool_choice,
        parallel_tool_calls: false,
        include: [
          "file_search_call.results",
          "web_search_call.results",
          "web_search_call.action.sources",
          "message.input_image.image_url",
          "computer_call_output.output.image_url",
          "code_interpreter_call.outputs",
          "reasoning.encrypted_content",
          "message.output_text.logprobs"
        ],
        reasoning: { effort: "max", summary: "detailed", context: "all_turns", mode: "pro" },
        text: { format: { type: "json_object" }, verbosity: "low" },
        prompt_cache_key: "k",
        prompt_cache_retention: "24h",
        prompt_cache_options: { ttl: "12h" },
        service_tier: "flex",
        safety_identifier: "u",
        truncation: "auto",
        top_logprobs: 2,
        max_tool_calls: 3,
        metadata: { a: "b" },
        moderation: { model: "omni-moderation-latest" },
        image: { context_compression: "auto" },
        access_programs: { cyber: "standard" },
        stream_options: null
      })
      expect(plan.request.tools?.map((t) => t.function.name)).toEqual(
        tool_choice !== null && typeof tool_choice === "object" && tool_choice.type === "allowed_tools"
          ? ["f"]
          : ["f", "c", "ns__g"]
      )
    }
  })
})
