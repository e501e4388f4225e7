/**
 * The inputs of the golden vectors. `pnpm --filter @parlance/translate vectors` writes
 * `vectors/<name>.json` (chunks in → events out) from these; the test replays every file and also checks
 * the hand-written `expect` block, so a vector is more than a snapshot of today's output.
 */
type Delta = Record<string, unknown>

const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1_700_000_000, model: "local-model" }
export const chunk = (delta: Delta, finish_reason: string | null = null, extra: Record<string, unknown> = {}) => ({
  ...base,
  choices: [{ index: 0, delta, finish_reason, ...extra }]
})
export const usage = (prompt: number, completion: number, cached?: number, reasoning?: number) => ({
  ...base,
  choices: [],
  usage: {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(cached !== undefined ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
    ...(reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {})
  }
})
const tc = (index: number, fields: { id?: string; name?: string; args?: string }) => ({
  index,
  ...(fields.id !== undefined ? { id: fields.id, type: "function" } : {}),
  function: {
    ...(fields.name !== undefined ? { name: fields.name } : {}),
    ...(fields.args !== undefined ? { arguments: fields.args } : {})
  }
})
const calls = (...list: Array<ReturnType<typeof tc>>) => chunk({ tool_calls: list })
const role = chunk({ role: "assistant", content: "" })
const stop = chunk({}, "stop")
const toolStop = chunk({}, "tool_calls")

export interface Expect {
  readonly status: "completed" | "incomplete" | "failed"
  readonly output: ReadonlyArray<Record<string, unknown>>
  readonly incomplete_reason?: string
  readonly error_code?: string
  readonly usage?: Record<string, unknown>
}
export interface VectorSource {
  readonly name: string
  readonly description: string
  readonly context?: {
    readonly reasoning?: "text" | "summary"
    readonly tools?: Record<string, { kind: "function" | "custom"; name: string; namespace?: string }>
  }
  /** Chunk objects, or raw SSE `data:` payloads (strings: `[DONE]`, malformed JSON). */
  readonly chunks: ReadonlyArray<unknown>
  /** How the input ends when it is not `[DONE]`: an upstream failure after the last chunk. */
  readonly outcome?: { readonly _tag: "Failed"; readonly code: string; readonly message: string }
  readonly expect: Expect
}

const msg = (text: string, status = "completed") => ({ type: "message", status, text })
const fn = (name: string, args: string, status = "completed", call_id?: string) => ({
  type: "function_call",
  name,
  arguments: args,
  status,
  ...(call_id ? { call_id } : {})
})
const rs = (text: string) => ({ type: "reasoning", text })

export const sources: ReadonlyArray<VectorSource> = [
  {
    name: "plain-text",
    description: "Text in three deltas, stop, usage.",
    chunks: [
      role,
      chunk({ content: "Hello" }),
      chunk({ content: ", " }),
      chunk({ content: "world!" }),
      stop,
      usage(12, 3),
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [msg("Hello, world!")],
      usage: { input_tokens: 12, output_tokens: 3, total_tokens: 15 }
    }
  },
  {
    name: "empty-completion",
    description: "The model stops at once: no item, a completed response.",
    chunks: [role, stop, usage(5, 0), "[DONE]"],
    expect: { status: "completed", output: [] }
  },
  {
    name: "reasoning-then-text",
    description: "llama-server reasoning_content deltas, then the answer.",
    chunks: [
      role,
      chunk({ reasoning_content: "Let me " }),
      chunk({ reasoning_content: "think." }),
      chunk({ content: "42" }),
      stop,
      usage(20, 8, 0, 5),
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [rs("Let me think."), msg("42")],
      usage: { output_tokens_details: { reasoning_tokens: 5 } }
    }
  },
  {
    name: "reasoning-as-summary",
    description: "The request asked for a reasoning summary: reasoning is sent as summary parts.",
    context: { reasoning: "summary" },
    chunks: [
      role,
      chunk({ reasoning: "Short " }),
      chunk({ reasoning: "plan." }),
      chunk({ content: "Done" }),
      stop,
      "[DONE]"
    ],
    expect: { status: "completed", output: [{ type: "reasoning", summary: "Short plan." }, msg("Done")] }
  },
  {
    name: "reasoning-then-tool-call",
    description: "Reasoning, then a tool call, finish_reason tool_calls.",
    chunks: [
      role,
      chunk({ reasoning_content: "Need weather." }),
      calls(tc(0, { id: "call_w", name: "get_weather", args: "" })),
      calls(tc(0, { args: '{"city":' })),
      calls(tc(0, { args: '"Paris"}' })),
      toolStop,
      usage(30, 12),
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [rs("Need weather."), fn("get_weather", '{"city":"Paris"}', "completed", "call_w")]
    }
  },
  {
    name: "one-tool-call",
    description: "A single streamed tool call.",
    chunks: [
      role,
      calls(tc(0, { id: "call_1", name: "lookup", args: "" })),
      calls(tc(0, { args: '{"q":"x"}' })),
      toolStop,
      "[DONE]"
    ],
    expect: { status: "completed", output: [fn("lookup", '{"q":"x"}', "completed", "call_1")] }
  },
  {
    name: "two-consecutive-tool-calls",
    description: "llama.cpp fault 1: the second call must get its own output_item.added, after the first's done.",
    chunks: [
      role,
      calls(tc(0, { id: "call_a", name: "read", args: '{"path":' })),
      calls(tc(0, { args: '"a.txt"}' })),
      calls(tc(1, { id: "call_b", name: "read", args: '{"path":' })),
      calls(tc(1, { args: '"b.txt"}' })),
      toolStop,
      usage(40, 20),
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [
        fn("read", '{"path":"a.txt"}', "completed", "call_a"),
        fn("read", '{"path":"b.txt"}', "completed", "call_b")
      ]
    }
  },
  {
    name: "parallel-tool-calls-one-chunk",
    description: "llama.cpp fault 2: parallel calls in one chunk, each item closed in order, not at the end.",
    chunks: [
      role,
      calls(
        tc(0, { id: "call_x", name: "f", args: '{"n":1}' }),
        tc(1, { id: "call_y", name: "g", args: '{"n":2}' }),
        tc(2, { id: "call_z", name: "h", args: "{}" })
      ),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [
        fn("f", '{"n":1}', "completed", "call_x"),
        fn("g", '{"n":2}', "completed", "call_y"),
        fn("h", "{}", "completed", "call_z")
      ]
    }
  },
  {
    name: "interleaved-tool-call-deltas",
    description: "Deltas of calls 0 and 1 interleave; call 1 is buffered until call 0's JSON is whole.",
    chunks: [
      role,
      calls(tc(0, { id: "call_0", name: "a", args: '{"x":' })),
      calls(tc(1, { id: "call_1", name: "b", args: '{"y":' })),
      calls(tc(0, { args: "1}" })),
      calls(tc(1, { args: "2}" })),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [fn("a", '{"x":1}', "completed", "call_0"), fn("b", '{"y":2}', "completed", "call_1")]
    }
  },
  {
    name: "interleaved-three-calls-index-order",
    description:
      "Calls 2 and 1 start while 0 is incomplete: both are buffered, and they come out in index order 0, 1, 2.",
    chunks: [
      role,
      calls(tc(0, { id: "c0", name: "a", args: '{"x":' })),
      calls(tc(2, { id: "c2", name: "c", args: '{"z":' })),
      calls(tc(1, { id: "c1", name: "b", args: '{"y":1}' })),
      calls(tc(0, { args: "0}" })),
      calls(tc(2, { args: "2}" })),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [
        fn("a", '{"x":0}', "completed", "c0"),
        fn("b", '{"y":1}', "completed", "c1"),
        fn("c", '{"z":2}', "completed", "c2")
      ]
    }
  },
  {
    name: "text-then-tool-calls",
    description: "Some text, then two tool calls.",
    chunks: [
      role,
      chunk({ content: "Let me check." }),
      calls(tc(0, { id: "c1", name: "ls", args: "{}" })),
      calls(tc(1, { id: "c2", name: "pwd", args: "{}" })),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [msg("Let me check."), fn("ls", "{}", "completed", "c1"), fn("pwd", "{}", "completed", "c2")]
    }
  },
  {
    name: "args-split-inside-escape",
    description: "Arguments split inside a JSON escape sequence (\\n and \\u00e9).",
    chunks: [
      role,
      calls(tc(0, { id: "c", name: "write", args: '{"text":"line1\\' })),
      calls(tc(0, { args: "nline2 caf\\u00" })),
      calls(tc(0, { args: 'e9"}' })),
      toolStop,
      "[DONE]"
    ],
    expect: { status: "completed", output: [fn("write", '{"text":"line1\\nline2 caf\\u00e9"}')] }
  },
  {
    name: "args-split-inside-multibyte",
    description: "Arguments and text carrying multi-byte characters (emoji surrogate pair, CJK) split across chunks.",
    chunks: [
      role,
      chunk({ content: "日本" }),
      chunk({ content: "語 🎉" }),
      calls(tc(0, { id: "c", name: "say", args: '{"t":"🎉' })),
      calls(tc(0, { args: '日本"}' })),
      toolStop,
      "[DONE]"
    ],
    expect: { status: "completed", output: [msg("日本語 🎉"), fn("say", '{"t":"🎉日本"}')] }
  },
  {
    name: "tool-call-without-id",
    description: "An upstream that sends no tool-call id: a call_ id is generated.",
    chunks: [
      role,
      chunk({ tool_calls: [{ index: 0, function: { name: "noid", arguments: '{"a":1}' } }] }),
      toolStop,
      "[DONE]"
    ],
    expect: { status: "completed", output: [fn("noid", '{"a":1}')] }
  },
  {
    name: "length-inside-text",
    description: "max_tokens reached mid-text: the message is incomplete, response.incomplete.",
    chunks: [role, chunk({ content: "The answer is" }), chunk({}, "length"), usage(10, 16), "[DONE]"],
    expect: {
      status: "incomplete",
      incomplete_reason: "max_output_tokens",
      output: [msg("The answer is", "incomplete")]
    }
  },
  {
    name: "length-inside-tool-call",
    description: "max_tokens reached inside a tool call's arguments: the call is incomplete, its JSON cut.",
    chunks: [role, calls(tc(0, { id: "c", name: "f", args: '{"long":"abc' })), chunk({}, "length"), "[DONE]"],
    expect: {
      status: "incomplete",
      incomplete_reason: "max_output_tokens",
      output: [fn("f", '{"long":"abc', "incomplete")]
    }
  },
  {
    name: "content-filter",
    description: "finish_reason content_filter (an empty one, as Azure sends).",
    chunks: [role, chunk({ content: "Partial" }), chunk({}, "content_filter"), "[DONE]"],
    expect: { status: "incomplete", incomplete_reason: "content_filter", output: [msg("Partial", "incomplete")] }
  },
  {
    name: "refusal",
    description: "OpenAI-style refusal deltas become a refusal part.",
    chunks: [
      chunk({ role: "assistant", content: null, refusal: "" }),
      chunk({ refusal: "I can't " }),
      chunk({ refusal: "help with that." }),
      stop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [{ type: "message", status: "completed", refusal: "I can't help with that." }]
    }
  },
  {
    name: "usage-cached-and-reasoning",
    description: "Usage with cached prompt tokens and reasoning tokens.",
    chunks: [
      role,
      chunk({ reasoning_content: "hm" }),
      chunk({ content: "ok" }),
      stop,
      usage(1000, 50, 768, 20),
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [rs("hm"), msg("ok")],
      usage: {
        input_tokens: 1000,
        input_tokens_details: { cached_tokens: 768 },
        output_tokens: 50,
        output_tokens_details: { reasoning_tokens: 20 },
        total_tokens: 1050
      }
    }
  },
  {
    name: "no-usage",
    description: "An upstream that never reports usage: zeros, consistent.",
    chunks: [role, chunk({ content: "hi" }), stop, "[DONE]"],
    expect: { status: "completed", output: [msg("hi")], usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } }
  },
  {
    name: "usage-on-non-final-chunk",
    description: "Usage attached to the finish chunk instead of a usage-only chunk.",
    chunks: [
      role,
      chunk({ content: "x" }),
      { ...chunk({}, "stop"), usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
      "[DONE]"
    ],
    expect: { status: "completed", output: [msg("x")], usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } }
  },
  {
    name: "upstream-error-mid-stream",
    description: "The upstream sends an error object mid-stream: the open item is incomplete, response.failed.",
    chunks: [role, chunk({ content: "Hal" }), { error: { message: "CUDA out of memory", type: "server_error" } }],
    expect: { status: "failed", error_code: "upstream_error", output: [msg("Hal", "incomplete")] }
  },
  {
    name: "upstream-drop-mid-tool-call",
    description: "The connection drops inside a tool call (no finish_reason, no [DONE]).",
    chunks: [role, calls(tc(0, { id: "c", name: "f", args: '{"a":' }))],
    outcome: {
      _tag: "Failed",
      code: "upstream_disconnected",
      message: "The upstream closed the connection mid-stream."
    },
    expect: { status: "failed", error_code: "upstream_disconnected", output: [fn("f", '{"a":', "incomplete")] }
  },
  {
    name: "malformed-chunk",
    description: "A chunk that is not JSON: response.failed, grammar intact, nothing after it.",
    chunks: [role, chunk({ content: "ok so far" }), "{not json", chunk({ content: "ignored" }), stop, "[DONE]"],
    expect: { status: "failed", error_code: "upstream_malformed_chunk", output: [msg("ok so far", "incomplete")] }
  },
  {
    name: "no-finish-reason",
    description: "[DONE] without any finish_reason: still exactly one terminal event.",
    chunks: [role, chunk({ content: "abrupt" }), "[DONE]"],
    expect: { status: "completed", output: [msg("abrupt")] }
  },
  {
    name: "invalid-json-arguments",
    description:
      "A completed call whose arguments are not JSON ({}{...} duplication): the call is incomplete, response.failed.",
    chunks: [
      role,
      calls(tc(0, { id: "c", name: "f", args: "{}" })),
      calls(tc(0, { args: '{"a":1}' })),
      toolStop,
      "[DONE]"
    ],
    expect: { status: "failed", error_code: "invalid_tool_arguments", output: [fn("f", '{}{"a":1}', "incomplete")] }
  },
  {
    name: "custom-tool-call",
    description: "Codex's apply_patch as a custom tool: the function's {input} becomes custom_tool_call.input.",
    context: { tools: { apply_patch: { kind: "custom", name: "apply_patch" } } },
    chunks: [
      role,
      calls(tc(0, { id: "call_p", name: "apply_patch", args: '{"input":"*** Begin Patch\\n' })),
      calls(tc(0, { args: '*** End Patch"}' })),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [
        { type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch\n*** End Patch", status: "completed" }
      ]
    }
  },
  {
    name: "namespace-tool-call",
    description: "A namespaced function maps back to its name and namespace.",
    context: { tools: { github__get_issue: { kind: "function", name: "get_issue", namespace: "github" } } },
    chunks: [role, calls(tc(0, { id: "call_n", name: "github__get_issue", args: '{"n":7}' })), toolStop, "[DONE]"],
    expect: {
      status: "completed",
      output: [{ type: "function_call", name: "get_issue", namespace: "github", arguments: '{"n":7}' }]
    }
  },
  {
    name: "tool-call-index-restarts",
    description: "A server that sends each complete call at index 0 (new id each time): two calls.",
    chunks: [
      role,
      calls(tc(0, { id: "call_1", name: "a", args: "{}" })),
      calls(tc(0, { id: "call_2", name: "b", args: "{}" })),
      toolStop,
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [fn("a", "{}", "completed", "call_1"), fn("b", "{}", "completed", "call_2")]
    }
  },
  {
    name: "llama-server-real",
    description:
      "llama-server b6xxx shapes: content null first, tool call with empty arguments first, timings in usage chunk.",
    chunks: [
      {
        choices: [{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [{ finish_reason: null, index: 0, delta: { reasoning_content: "The user wants weather." } }],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
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
        ],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [
          {
            finish_reason: null,
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":"Paris"}' } }] }
          }
        ],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [
          {
            finish_reason: null,
            index: 0,
            delta: {
              tool_calls: [
                { index: 1, id: "k2Pq9Zr1", type: "function", function: { name: "get_time", arguments: "" } }
              ]
            }
          }
        ],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [
          {
            finish_reason: null,
            index: 0,
            delta: { tool_calls: [{ index: 1, function: { arguments: '{"tz":"CET"}' } }] }
          }
        ],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [{ finish_reason: "tool_calls", index: 0, delta: {} }],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk"
      },
      {
        choices: [],
        created: 1758000000,
        id: "chatcmpl-Xy",
        model: "qwen3",
        system_fingerprint: "b6500-abcdef",
        object: "chat.completion.chunk",
        usage: {
          completion_tokens: 41,
          prompt_tokens: 212,
          total_tokens: 253,
          prompt_tokens_details: { cached_tokens: 180 }
        },
        timings: { prompt_n: 32, prompt_ms: 40.1, predicted_n: 41, predicted_ms: 500.2 }
      },
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [
        rs("The user wants weather."),
        fn("get_weather", '{"location":"Paris"}', "completed", "GQ7dYb3m"),
        fn("get_time", '{"tz":"CET"}', "completed", "k2Pq9Zr1")
      ],
      usage: { input_tokens: 212, input_tokens_details: { cached_tokens: 180 } }
    }
  },
  {
    name: "vllm-real",
    description:
      'vLLM shapes: content "" first, `reasoning` field, logprobs null, stop_reason, usage with null details.',
    chunks: [
      {
        id: "chatcmpl-9f",
        object: "chat.completion.chunk",
        created: 1758000001,
        model: "Qwen/Qwen3-8B",
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]
      },
      {
        id: "chatcmpl-9f",
        object: "chat.completion.chunk",
        created: 1758000001,
        model: "Qwen/Qwen3-8B",
        choices: [{ index: 0, delta: { reasoning: "Simple greeting." }, logprobs: null, finish_reason: null }]
      },
      {
        id: "chatcmpl-9f",
        object: "chat.completion.chunk",
        created: 1758000001,
        model: "Qwen/Qwen3-8B",
        choices: [{ index: 0, delta: { content: "Hi there" }, logprobs: null, finish_reason: null }]
      },
      {
        id: "chatcmpl-9f",
        object: "chat.completion.chunk",
        created: 1758000001,
        model: "Qwen/Qwen3-8B",
        choices: [{ index: 0, delta: { content: "!" }, logprobs: null, finish_reason: "stop", stop_reason: null }]
      },
      {
        id: "chatcmpl-9f",
        object: "chat.completion.chunk",
        created: 1758000001,
        model: "Qwen/Qwen3-8B",
        choices: [],
        usage: { prompt_tokens: 9, total_tokens: 20, completion_tokens: 11, prompt_tokens_details: null }
      },
      "[DONE]"
    ],
    expect: {
      status: "completed",
      output: [rs("Simple greeting."), msg("Hi there!")],
      usage: { input_tokens: 9, output_tokens: 11, total_tokens: 20 }
    }
  },
  {
    name: "ollama-real",
    description: "Ollama shapes: a complete tool call in one chunk, fp_ollama, finish_reason on a content chunk.",
    chunks: [
      {
        id: "chatcmpl-611",
        object: "chat.completion.chunk",
        created: 1758000002,
        model: "llama3.2",
        system_fingerprint: "fp_ollama",
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
      },
      {
        id: "chatcmpl-611",
        object: "chat.completion.chunk",
        created: 1758000002,
        model: "llama3.2",
        system_fingerprint: "fp_ollama",
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: "tool_calls" }]
      },
      {
        id: "chatcmpl-611",
        object: "chat.completion.chunk",
        created: 1758000002,
        model: "llama3.2",
        system_fingerprint: "fp_ollama",
        choices: [],
        usage: { prompt_tokens: 150, completion_tokens: 18, total_tokens: 168 }
      },
      "[DONE]"
    ],
    expect: { status: "completed", output: [fn("get_weather", '{"city":"Berlin"}', "completed", "call_ab12cd")] }
  },
  {
    name: "openai-real",
    description: "OpenAI shapes: refusal null, obfuscation, usage details with audio tokens.",
    chunks: [
      {
        id: "chatcmpl-C1",
        object: "chat.completion.chunk",
        created: 1758000003,
        model: "gpt-4.1-mini",
        service_tier: "default",
        system_fingerprint: "fp_1",
        choices: [
          { index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }
        ],
        usage: null,
        obfuscation: "abc"
      },
      {
        id: "chatcmpl-C1",
        object: "chat.completion.chunk",
        created: 1758000003,
        model: "gpt-4.1-mini",
        service_tier: "default",
        system_fingerprint: "fp_1",
        choices: [{ index: 0, delta: { content: "Paris" }, logprobs: null, finish_reason: null }],
        usage: null,
        obfuscation: "x"
      },
      {
        id: "chatcmpl-C1",
        object: "chat.completion.chunk",
        created: 1758000003,
        model: "gpt-4.1-mini",
        service_tier: "default",
        system_fingerprint: "fp_1",
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
        usage: null
      },
      {
        id: "chatcmpl-C1",
        object: "chat.completion.chunk",
        created: 1758000003,
        model: "gpt-4.1-mini",
        service_tier: "default",
        system_fingerprint: "fp_1",
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
        }
      },
      "[DONE]"
    ],
    expect: { status: "completed", output: [msg("Paris")], usage: { input_tokens: 14, output_tokens: 1 } }
  }
]
