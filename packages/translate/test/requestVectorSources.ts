/**
 * The inputs of the request vectors: a Responses request with its history resolved as the server resolves it
 * (the `previous_response_id` chain's items as stored, the items `item_reference`s name, the text read from
 * each `input_file`). The generator translates them and writes the Chat Completions request down; the server
 * suite (apps/server/test/RequestVectors.e2e.test.ts) checks that the server really sends it.
 */
import type * as Vector from "../src/Vector.js"

export interface RequestVectorSource {
  readonly name: string
  readonly description: string
  readonly request: Record<string, unknown>
  readonly context: Vector.RequestContext
}

const none: Vector.RequestContext = { history: [], references: {}, files: [], unsealed: [], options: {} }

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "The weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}

/** A base64 data URL of UTF-8 text, as a client sends a file inline. */
const textFile = (text: string) =>
  `data:text/plain;base64,${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`
const notes = { type: "input_file", filename: "notes.txt", file_data: textFile("Lyon: 15°C, cloudy.\n") }

/** A two-turn conversation as the store keeps it: the first turn reasoned and called a tool. */
const weatherHistory: Vector.RequestContext["history"] = [
  {
    type: "message",
    id: "msg_h1",
    role: "user",
    status: "completed",
    content: [{ type: "input_text", text: "What is the weather in Paris?" }]
  },
  {
    type: "reasoning",
    id: "rs_h2",
    status: "completed",
    summary: [],
    content: [{ type: "reasoning_text", text: "The user wants the weather: call get_weather." }]
  },
  {
    type: "function_call",
    id: "fc_h3",
    call_id: "call_paris",
    name: "get_weather",
    arguments: '{"city":"Paris"}',
    status: "completed"
  },
  { type: "function_call_output", id: "fco_h4", call_id: "call_paris", output: "18°C, sunny." },
  {
    type: "message",
    id: "msg_h5",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "It is 18°C and sunny in Paris.", annotations: [] }]
  }
]

export const requestSources: ReadonlyArray<RequestVectorSource> = [
  {
    name: "request-history-tools-reference-file",
    description:
      "previous_response_id history (reasoning, a tool call and its output, an answer), an item_reference to an earlier response's message, and an input_file read as text.",
    request: {
      model: "local-model",
      instructions: "You are a weather assistant.",
      previous_response_id: "resp_history",
      tools: [weatherTool],
      reasoning: { effort: "low", summary: "auto" },
      max_output_tokens: 256,
      temperature: 0.2,
      input: [
        { type: "item_reference", id: "msg_elsewhere" },
        {
          role: "user",
          content: [{ type: "input_text", text: "Compare Paris with the city in this file." }, notes]
        }
      ]
    },
    context: {
      ...none,
      history: weatherHistory,
      references: {
        msg_elsewhere: {
          type: "message",
          id: "msg_elsewhere",
          role: "user",
          status: "completed",
          content: [{ type: "input_text", text: "Answer in one sentence." }]
        }
      },
      // As the server hands it over: the file's name, then its text (apps/server/src/internal/inputFiles.ts).
      files: [{ part: notes, text: '<file name="notes.txt">\nLyon: 15°C, cloudy.\n</file>' }]
    }
  },
  {
    name: "request-stateless-tool-round",
    description:
      "A stateless client (store: false) sends the whole turn back: reasoning with a foreign encrypted_content (ignored, with a warning), two calls and their outputs, parallel_tool_calls, a custom tool and a skipped built-in tool.",
    request: {
      model: "local-model",
      store: false,
      include: ["reasoning.encrypted_content"],
      parallel_tool_calls: false,
      tool_choice: "auto",
      tools: [
        weatherTool,
        { type: "custom", name: "apply_patch", description: "Apply a patch." },
        { type: "web_search" }
      ],
      input: [
        { role: "user", content: "Weather in Paris and Rome, then patch the report." },
        { type: "reasoning", id: "rs_x", summary: [], encrypted_content: "gAAAAB-not-ours" },
        { type: "function_call", call_id: "c1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "c2", name: "get_weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "c1", output: "18°C" },
        { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: "24°C" }] },
        { type: "custom_tool_call", call_id: "c3", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "c3", output: "Done." }
      ]
    },
    context: none
  },
  {
    name: "request-text-format-and-sampling",
    description:
      "Structured output (json_schema) and every sampling field that maps: top_p, penalties, seed, user, max_output_tokens.",
    request: {
      model: "local-model",
      input: "Give me a city and its country.",
      text: {
        format: {
          type: "json_schema",
          name: "city",
          strict: true,
          schema: {
            type: "object",
            properties: { city: { type: "string" }, country: { type: "string" } },
            required: ["city", "country"],
            additionalProperties: false
          }
        }
      },
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      seed: 7,
      user: "tester",
      max_output_tokens: 64
    },
    context: none
  },
  {
    name: "request-refused-prompt",
    description: "A stored prompt template is refused with the param it is about (a 400 at the server).",
    request: { model: "local-model", input: "hello", prompt: { id: "pmpt_123", version: "2" } },
    context: none
  },
  {
    name: "request-background",
    description:
      "A background request translates like any other: running it detached, stored and resumable, is the server's concern.",
    request: {
      model: "local-model",
      input: "hello",
      background: true,
      background_options: { completion_window: "soonest", continuation_id: "job-7" }
    },
    context: none
  },
  {
    name: "request-sdk-2026-items",
    description:
      "The input items OpenAI's 2026 SDK (7.60) added: a shell call and its output and an apply_patch call and its output replayed as tool calls and outputs, a configuration_update that sets the reasoning effort and the text format, a program and its output skipped with warnings, and a prompt_cache_breakpoint that changes nothing sent.",
    request: {
      model: "local-model",
      store: false,
      reasoning: { effort: "low" },
      input: [
        {
          role: "user",
          content: [
            {
              type: "input_text",
              text: "List the files, then fix the typo in a.txt.",
              prompt_cache_breakpoint: { mode: "explicit", ttl: "30m" }
            }
          ]
        },
        {
          type: "shell_call",
          id: "sh_item",
          call_id: "call_shell",
          action: { commands: ["ls"], timeout_ms: 10000 },
          status: "completed"
        },
        {
          type: "shell_call_output",
          call_id: "call_shell",
          output: [{ stdout: "a.txt\n", stderr: "", outcome: { type: "exit", exit_code: 0 } }]
        },
        {
          type: "apply_patch_call",
          call_id: "call_patch",
          status: "completed",
          operation: { type: "update_file", path: "a.txt", diff: "@@\n-teh\n+the" }
        },
        { type: "apply_patch_call_output", call_id: "call_patch", status: "completed" },
        { type: "program", id: "pg_1", call_id: "call_program", code: "await tools.ls()", fingerprint: "fp" },
        { type: "program_output", id: "po_1", call_id: "call_program", result: "ok", status: "completed" },
        {
          type: "configuration_update",
          reasoning: { effort: "high" },
          text: { format: { type: "json_object" } }
        },
        { role: "user", content: "Say what changed, as JSON." }
      ]
    },
    context: none
  }
]
