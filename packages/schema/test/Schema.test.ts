/**
 * The wire schemas against real-world bodies: what clients send to `/v1/chat/completions`, and what
 * llama-server, vLLM, Ollama and OpenAI answer (complete responses and stream chunks).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ChatCompletions, OpenAiError, ResponsesRequest } from "../src/index.js"

const decodeOk = <A, I>(schema: Schema.Codec<A, I>, body: unknown): A => {
  const result = Schema.decodeUnknownResult(schema)(body)
  if (Result.isFailure(result)) throw new Error(JSON.stringify(OpenAiError.fromParseError(result.failure)))
  return result.success
}
const chunk = (body: unknown) => decodeOk(ChatCompletions.ChatCompletionChunk, body)

describe("Chat Completions requests", () => {
  it("openai SDK: tools, named tool_choice, json_schema response_format, stream_options, reasoning_effort", () => {
    const body = {
      model: "gpt-5-mini",
      messages: [
        { role: "developer", content: "Answer in JSON." },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in Paris?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } }
          ]
        },
        {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }
          ]
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temp":21}' }
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Get the weather",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
              additionalProperties: false
            },
            strict: true
          }
        }
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "weather",
          strict: true,
          schema: { type: "object", properties: { temp: { type: "number" } }, required: ["temp"] }
        }
      },
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: "low",
      max_completion_tokens: 512,
      seed: 42,
      stop: ["</answer>"],
      metadata: { trace: "t-1" },
      store: false
    }
    const decoded = decodeOk(ChatCompletions.ChatCompletionRequest, body)
    expect(decoded.messages).toHaveLength(4)
    expect(decoded.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } })
    expect(decoded.stream_options).toEqual({ include_usage: true })
    expect(decoded.reasoning_effort).toBe("low")
  })

  it("tool_choice strings, json_object, stop as a string, null optional fields", () => {
    for (const tool_choice of ["none", "auto", "required"]) {
      const decoded = decodeOk(ChatCompletions.ChatCompletionRequest, {
        model: "llama",
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "u", name: "alice" }
        ],
        tool_choice,
        response_format: { type: "json_object" },
        stop: "\n\n",
        temperature: null,
        top_p: null,
        stream_options: null,
        n: 1
      })
      expect(decoded.tool_choice).toBe(tool_choice)
    }
  })

  it("unknown extra fields (llama-server / vLLM sampling knobs) are accepted and dropped", () => {
    const decoded = decodeOk(ChatCompletions.ChatCompletionRequest, {
      model: "qwen3",
      messages: [{ role: "user", content: "hi" }],
      top_k: 20,
      min_p: 0,
      repeat_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
      cache_prompt: true
    })
    expect(decoded).toEqual({ model: "qwen3", messages: [{ role: "user", content: "hi" }] })
  })

  it("rejects a message with an unknown role, naming it", () => {
    const result = Schema.decodeUnknownResult(ChatCompletions.ChatCompletionRequest)({
      model: "m",
      messages: [
        { role: "user", content: "a" },
        { role: "robot", content: "b" }
      ]
    })
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result))
      expect(OpenAiError.fromParseError(result.failure).error.param).toMatch(/^messages\[1\]/)
  })
})

describe("ChatCompletion responses", () => {
  it("OpenAI", () => {
    const decoded = decodeOk(ChatCompletions.ChatCompletion, {
      id: "chatcmpl-CAbc",
      object: "chat.completion",
      created: 1758000003,
      model: "gpt-4.1-mini-2025-04-14",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Paris.", refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop"
        }
      ],
      usage: {
        prompt_tokens: 14,
        completion_tokens: 2,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0
        }
      },
      service_tier: "default",
      system_fingerprint: "fp_1"
    })
    expect(decoded.choices[0]!.message.content).toBe("Paris.")
  })

  it("llama-server: reasoning_content, tool calls, timings", () => {
    const decoded = decodeOk(ChatCompletions.ChatCompletion, {
      choices: [
        {
          finish_reason: "tool_calls",
          index: 0,
          message: {
            role: "assistant",
            content: null,
            reasoning_content: "The user wants the weather.",
            tool_calls: [
              { type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' }, id: "GQ7dYb3m" }
            ]
          }
        }
      ],
      created: 1758000000,
      model: "qwen3",
      system_fingerprint: "b6500-abcdef",
      object: "chat.completion",
      usage: {
        completion_tokens: 41,
        prompt_tokens: 212,
        total_tokens: 253,
        prompt_tokens_details: { cached_tokens: 180 }
      },
      id: "chatcmpl-Xy",
      timings: { prompt_n: 32, prompt_ms: 40.1, predicted_n: 41, predicted_ms: 500.2 }
    })
    expect(decoded.choices[0]!.message.reasoning_content).toBe("The user wants the weather.")
    expect("timings" in decoded).toBe(false)
  })

  it("vLLM: reasoning_content null, tool_calls [], function_call null, stop_reason", () => {
    const decoded = decodeOk(ChatCompletions.ChatCompletion, {
      id: "chatcmpl-9f2",
      object: "chat.completion",
      created: 1758000001,
      model: "Qwen/Qwen3-8B",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            reasoning_content: null,
            content: "Hello!",
            tool_calls: [],
            refusal: null,
            annotations: null,
            audio: null,
            function_call: null
          },
          logprobs: null,
          finish_reason: "stop",
          stop_reason: null
        }
      ],
      usage: { prompt_tokens: 9, total_tokens: 12, completion_tokens: 3, prompt_tokens_details: null },
      prompt_logprobs: null,
      kv_transfer_params: null
    })
    expect(decoded.choices[0]!.message.content).toBe("Hello!")
  })

  it("Ollama", () => {
    const decoded = decodeOk(ChatCompletions.ChatCompletion, {
      id: "chatcmpl-611",
      object: "chat.completion",
      created: 1758000002,
      model: "llama3.2",
      system_fingerprint: "fp_ollama",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "",
            reasoning: "Need the tool.",
            tool_calls: [
              {
                id: "call_ab12cd",
                index: 0,
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Berlin"}' }
              }
            ]
          },
          finish_reason: "tool_calls"
        }
      ],
      usage: { prompt_tokens: 150, completion_tokens: 18, total_tokens: 168 }
    })
    expect(decoded.choices[0]!.message.tool_calls![0]!.function.name).toBe("get_weather")
  })
})

describe("ChatCompletionChunk as servers stream it", () => {
  it("llama-server: content null first, reasoning_content, tool-call deltas, usage-only chunk with timings", () => {
    const base = {
      created: 1758000000,
      id: "chatcmpl-Xy",
      model: "qwen3",
      system_fingerprint: "b6500-abcdef",
      object: "chat.completion.chunk"
    }
    chunk({ ...base, choices: [{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }] })
    expect(
      chunk({ ...base, choices: [{ finish_reason: null, index: 0, delta: { reasoning_content: "Hmm" } }] }).choices[0]!
        .delta.reasoning_content
    ).toBe("Hmm")
    const call = chunk({
      ...base,
      choices: [
        {
          finish_reason: null,
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: "GQ7dYb3m", type: "function", function: { name: "get_weather", arguments: "" } }
            ]
          }
        }
      ]
    })
    expect(call.choices[0]!.delta.tool_calls![0]!.function!.name).toBe("get_weather")
    chunk({
      ...base,
      choices: [
        {
          finish_reason: null,
          index: 0,
          delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":"Paris"}' } }] }
        }
      ]
    })
    chunk({ ...base, choices: [{ finish_reason: "tool_calls", index: 0, delta: {} }] })
    const last = chunk({
      ...base,
      choices: [],
      usage: {
        completion_tokens: 41,
        prompt_tokens: 212,
        total_tokens: 253,
        prompt_tokens_details: { cached_tokens: 180 }
      },
      timings: {
        prompt_n: 32,
        prompt_ms: 40.1,
        prompt_per_token_ms: 1.25,
        predicted_n: 41,
        predicted_ms: 500.2,
        cache_n: 180
      }
    })
    expect(last.choices).toEqual([])
    expect(last.usage!.prompt_tokens_details!.cached_tokens).toBe(180)
    expect("timings" in last).toBe(false)
  })

  it("vLLM: `reasoning` (≥ 0.10) and `reasoning_content` null, logprobs null, stop_reason, usage null details", () => {
    const base = { id: "chatcmpl-9f", object: "chat.completion.chunk", created: 1758000001, model: "Qwen/Qwen3-8B" }
    chunk({
      ...base,
      choices: [
        {
          index: 0,
          delta: { role: "assistant", content: "", reasoning_content: null },
          logprobs: null,
          finish_reason: null
        }
      ],
      prompt_token_ids: null
    })
    expect(
      chunk({ ...base, choices: [{ index: 0, delta: { reasoning: "Simple." }, logprobs: null, finish_reason: null }] })
        .choices[0]!.delta.reasoning
    ).toBe("Simple.")
    chunk({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                id: "chatcmpl-tool-1a2b",
                type: "function",
                index: 0,
                function: { name: "get_weather", arguments: null }
              }
            ]
          },
          logprobs: null,
          finish_reason: null
        }
      ]
    })
    chunk({
      ...base,
      choices: [
        { index: 0, delta: { content: "!" }, logprobs: null, finish_reason: "stop", stop_reason: null, token_ids: null }
      ]
    })
    chunk({
      ...base,
      choices: [],
      usage: { prompt_tokens: 9, total_tokens: 20, completion_tokens: 11, prompt_tokens_details: null }
    })
  })

  it("Ollama: fp_ollama, complete tool call in one delta, `reasoning`", () => {
    const base = {
      id: "chatcmpl-611",
      object: "chat.completion.chunk",
      created: 1758000002,
      model: "llama3.2",
      system_fingerprint: "fp_ollama"
    }
    chunk({
      ...base,
      choices: [
        { index: 0, delta: { role: "assistant", content: "", reasoning: "Berlin weather." }, finish_reason: null }
      ]
    })
    chunk({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            role: "assistant",
            content: "",
            tool_calls: [
              {
                id: "call_ab12cd",
                index: 0,
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Berlin"}' }
              }
            ]
          },
          finish_reason: null
        }
      ]
    })
    chunk({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: "tool_calls" }] })
    chunk({ ...base, choices: [], usage: { prompt_tokens: 150, completion_tokens: 18, total_tokens: 168 } })
  })

  it("OpenAI: refusal null, usage null, obfuscation, service_tier, usage-only final chunk", () => {
    const base = {
      id: "chatcmpl-C1",
      object: "chat.completion.chunk",
      created: 1758000003,
      model: "gpt-4.1-mini",
      service_tier: "default",
      system_fingerprint: "fp_1"
    }
    const first = chunk({
      ...base,
      choices: [
        { index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }
      ],
      usage: null,
      obfuscation: "abc"
    })
    expect("obfuscation" in first).toBe(false)
    chunk({
      ...base,
      choices: [{ index: 0, delta: { refusal: "I can't help with that." }, logprobs: null, finish_reason: null }],
      usage: null,
      obfuscation: "x"
    })
    chunk({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null })
    const usage = chunk({
      ...base,
      choices: [],
      usage: {
        prompt_tokens: 14,
        completion_tokens: 1,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0
        }
      },
      obfuscation: "Yh3"
    })
    expect(usage.usage!.completion_tokens_details).toEqual({ reasoning_tokens: 0 })
  })

  it("a chunk without `choices` is refused (ChunkDecode handles it before the schema)", () => {
    expect(
      Result.isFailure(
        Schema.decodeUnknownResult(ChatCompletions.ChatCompletionChunk)({ id: "x", object: "chat.completion.chunk" })
      )
    ).toBe(true)
  })
})

describe("OpenAiError.fromParseError", () => {
  it("an unknown content part type → a 400 body naming input[2].content[0].type", () => {
    const result = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)({
      model: "m",
      input: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: [{ type: "input_video", video_url: "https://example.com/v.mp4" }] }
      ]
    })
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isSuccess(result)) return
    const body = OpenAiError.fromParseError(result.failure)
    expect(body).toEqual({
      error: {
        message: expect.stringContaining("input[2].content[0].type"),
        type: "invalid_request_error",
        param: "input[2].content[0].type",
        code: "invalid_value"
      }
    })
    expect(Result.isSuccess(Schema.decodeUnknownResult(OpenAiError.ErrorBody)(body))).toBe(true)
  })

  it("an unknown item type → input[i].type; a bad field → its path", () => {
    const param = (body: unknown) => {
      const result = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)(body)
      return Result.isFailure(result) ? OpenAiError.fromParseError(result.failure).error.param : "decoded"
    }
    expect(
      param({
        model: "m",
        input: [
          { role: "user", content: "a" },
          { type: "mystery_call", id: "ws_1", status: "completed" }
        ]
      })
    ).toBe("input[1].type")
    expect(param({ model: "m", input: "hi", temperature: 3 })).toBe("temperature")
    expect(param({ model: "m", input: "hi", max_output_tokens: 0 })).toBe("max_output_tokens")
    expect(param({ model: "m", input: "hi", tools: [{ type: "function", name: "f" }, { type: "function" }] })).toBe(
      "tools[1].name"
    )
    expect(param({ model: 7 })).toBe("model")
  })

  it("as the server decodes (reportInput): the member the discriminator picks names the fault, with what was sent", () => {
    const error = (body: unknown) => {
      const result = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)(body, {
        errors: "all",
        reportInput: true
      })
      return Result.isFailure(result) ? OpenAiError.fromParseError(result.failure).error : undefined
    }
    // A message without `type` (it is optional) whose content part is unknown: the part's type, not the item's.
    expect(error({ model: "m", input: [{ role: "user", content: [{ type: "input_video" }] }] })).toMatchObject({
      param: "input[0].content[0].type",
      message: expect.stringContaining('got "input_video"')
    })
    // A known item type with a field missing: that field, not the other members' `type`. (A function_call, not
    // a function_call_output: the SDK's types made the output's call_id optional in 7.60.)
    expect(error({ model: "m", input: [{ type: "function_call", name: "f", arguments: "{}" }] })).toMatchObject({
      param: "input[0].call_id",
      message: "Invalid value for 'input[0].call_id': is missing"
    })
    expect(error({ model: "m", input: [{ type: "message", role: "wizard", content: "x" }] })).toMatchObject({
      param: "input[0].role",
      message: expect.stringContaining('got "wizard"')
    })
    expect(error({ model: "m", input: [{ type: "input_video" }] })).toMatchObject({ param: "input[0].type" })
    // An optional field's `| undefined` is not part of what the client got wrong.
    expect(error({ model: 5, input: "hi" })).toMatchObject({
      param: "model",
      message: "Invalid value for 'model': Expected string, got 5"
    })
  })

  it("formatParam writes OpenAI's notation", () => {
    expect(OpenAiError.formatParam(["input", 2, "content", 0, "type"])).toBe("input[2].content[0].type")
    expect(OpenAiError.formatParam([])).toBeNull()
    expect(OpenAiError.errorBody("nope")).toEqual({
      error: { message: "nope", type: "invalid_request_error", param: null, code: null }
    })
  })
})
