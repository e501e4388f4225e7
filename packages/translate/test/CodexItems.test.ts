/**
 * What recent Codex releases send and expect (issue 13): `phase` on assistant messages, `additional_tools`
 * items, hosted-tool items skipped, sealed reasoning replayed, compaction items expanded, and a
 * `compaction_trigger` answered with exactly one `compaction` item. The seal is injected (the server's is
 * AES-GCM); here a readable stand-in shows what went in and out.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatCompletions, OpenAiError, ResponsesRequest } from "@parlance/schema"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Ids from "../src/Ids.js"
import * as Sequencer from "../src/Sequencer.js"
import {
  type ChatRequestPlan,
  type HistoryItem,
  type Options,
  summaryInstruction,
  toChatRequest
} from "../src/ToChatRequest.js"
import { validateStream } from "../src/ValidateStream.js"

const decode = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)
const plan = (body: unknown, options?: Options, history?: ReadonlyArray<HistoryItem>): ChatRequestPlan => {
  const decoded = decode(body)
  if (Result.isFailure(decoded)) throw new Error(JSON.stringify(OpenAiError.fromParseError(decoded.failure)))
  const result = toChatRequest(decoded.success, history, options)
  if (Result.isFailure(result))
    throw new Error(`${result.failure._tag}: ${result.failure.param}: ${result.failure.message}`)
  return result.success
}

const seal = (kind: string) => (text: string) => `sealed:${kind}:${text}`
const unseal: Options["unseal"] = (blob) => {
  const m = /^sealed:(reasoning|compaction):([\s\S]*)$/.exec(blob)
  return m === null ? undefined : { kind: m[1] as "reasoning" | "compaction", text: m[2]! }
}

type Assistant = Extract<ChatCompletions.ChatMessage, { role: "assistant" }>
const assistants = (p: ChatRequestPlan) => p.request.messages.filter((m): m is Assistant => m.role === "assistant")

describe("phase", () => {
  const body = {
    model: "m",
    input: [
      { role: "user", content: "fix it" },
      { type: "message", role: "assistant", phase: "commentary", content: [{ type: "output_text", text: "Looking." }] },
      { type: "function_call", call_id: "c1", name: "sh", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "ok" },
      { type: "message", role: "assistant", phase: "final_answer", content: [{ type: "output_text", text: "Done." }] },
      { role: "user", content: "thanks" }
    ]
  }
  it("is accepted on assistant messages and reaches an upstream that reads it", () => {
    const p = plan(body, { assistantPhase: true })
    expect(assistants(p).map((m) => [m.content, m.phase])).toEqual([
      ["Looking.", "commentary"],
      ["Done.", "final_answer"]
    ])
    expect(assistants(p)[0]!.tool_calls?.map((c) => c.id)).toEqual(["c1"])
  })
  it("is not sent to an upstream that is not known to read it", () => {
    expect(assistants(plan(body)).map((m) => m.phase)).toEqual([undefined, undefined])
  })
  it("an unknown phase value is a 400 naming it", () => {
    const result = decode({
      model: "m",
      input: [{ type: "message", role: "assistant", phase: "musing", content: "x" }]
    })
    expect(Result.isFailure(result) && OpenAiError.fromParseError(result.failure).error.param).toMatch(/^input\[0\]/)
  })
})

describe("additional_tools", () => {
  const namespace = {
    type: "namespace",
    name: "files",
    description: "",
    tools: [
      { type: "custom", name: "patch" },
      { type: "function", name: "read", parameters: { type: "object", properties: { path: { type: "string" } } } }
    ]
  }
  it("tools declared mid-conversation are offered like top-level tools, mapped back through the tool map", () => {
    const p = plan({
      model: "m",
      tools: [{ type: "function", name: "sh" }],
      input: [
        { role: "user", content: "hi" },
        { type: "additional_tools", role: "developer", tools: [namespace] },
        { role: "user", content: "go" }
      ]
    })
    expect(p.request.tools?.map((t) => t.function.name)).toEqual(["sh", "files__patch", "files__read"])
    expect(p.tools.get("files__patch")).toEqual({ kind: "custom", name: "patch", namespace: "files" })
    expect(p.request.messages.map((m) => m.role)).toEqual(["user", "user"])
  })
  it("also from the stored conversation, and a tool declared twice is offered once", () => {
    const again = { type: "additional_tools", role: "developer", tools: [namespace] } as unknown as HistoryItem
    const p = plan(
      {
        model: "m",
        input: [
          { type: "additional_tools", role: "developer", tools: [namespace] },
          { role: "user", content: "go" }
        ]
      },
      {},
      [again]
    )
    expect(p.request.tools?.map((t) => t.function.name)).toEqual(["files__patch", "files__read"])
  })
})

describe("items a local model cannot use", () => {
  it("hosted tools' items are skipped with a warning, not refused", () => {
    const p = plan({
      model: "m",
      input: [
        { role: "user", content: "search" },
        { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "x" } },
        { type: "local_shell_call", id: "lsh_1", call_id: "c", status: "completed", action: {} },
        { role: "user", content: "and?" }
      ]
    })
    expect(p.request.messages.map((m) => m.content)).toEqual(["search", "and?"])
    expect(p.warnings).toEqual([
      "input[1]: an item of type 'web_search_call' cannot be used by a local model; it was skipped.",
      "input[2]: an item of type 'local_shell_call' cannot be used by a local model; it was skipped."
    ])
  })
  it("custom tool calls and their outputs are used", () => {
    const p = plan({
      model: "m",
      tools: [{ type: "custom", name: "apply_patch" }],
      input: [
        { role: "user", content: "edit" },
        { type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "c1", output: "done" }
      ]
    })
    expect(assistants(p)[0]!.tool_calls).toEqual([
      { id: "c1", type: "function", function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' } }
    ])
    expect(p.request.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "c1", content: "done" })
  })
})

describe("encrypted reasoning", () => {
  const turn = (encrypted: string) => ({
    model: "m",
    store: false,
    include: ["reasoning.encrypted_content"],
    input: [
      { role: "user", content: "list files" },
      { type: "reasoning", summary: [], encrypted_content: encrypted },
      { type: "function_call", call_id: "c1", name: "sh", arguments: "{}" },
      { type: "function_call", call_id: "c2", name: "sh", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "a" },
      { type: "function_call_output", call_id: "c2", output: "b" }
    ]
  })
  it("a blob this server sealed is opened: the upstream gets the reasoning back, the calls stay one message", () => {
    const p = plan(turn("sealed:reasoning:I should run ls twice."), { unseal })
    expect(assistants(p)).toEqual([
      { role: "assistant", content: null, reasoning_content: "I should run ls twice.", tool_calls: expect.any(Array) }
    ])
    expect(assistants(p)[0]!.tool_calls).toHaveLength(2)
    expect(p.warnings).toEqual([])
  })
  it("a foreign blob is ignored with a warning, never an error", () => {
    const p = plan(turn("gAAAAABo-another-servers-blob"), { unseal })
    expect(assistants(p)[0]!.reasoning_content).toBeUndefined()
    expect(p.warnings).toEqual([
      "input[1].encrypted_content was not sealed by this server (or its key changed); it was ignored."
    ])
  })
  it("a compaction blob in a reasoning item is foreign too", () => {
    expect(plan(turn("sealed:compaction:x"), { unseal }).warnings).toHaveLength(1)
  })
})

describe("compaction items", () => {
  it("a compaction item stands for the turns before it: their assistant and tool messages go, user words stay", () => {
    const p = plan(
      {
        model: "m",
        instructions: "be brief",
        input: [
          { role: "user", content: "task" },
          { type: "function_call", call_id: "c1", name: "sh", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: "out" },
          { type: "compaction", encrypted_content: "sealed:compaction:We ran sh; it printed out." },
          { role: "user", content: "continue" }
        ]
      },
      { unseal }
    )
    expect(p.request.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "task" },
      { role: "user", content: "Summary of the conversation so far:\n\nWe ran sh; it printed out." },
      { role: "user", content: "continue" }
    ])
    expect(p.compaction).toBe(false)
  })
  it("a foreign compaction blob is ignored with a warning", () => {
    const p = plan(
      {
        model: "m",
        input: [
          { type: "compaction", encrypted_content: "opaque" },
          { role: "user", content: "go" }
        ]
      },
      { unseal }
    )
    expect(p.request.messages).toEqual([{ role: "user", content: "go" }])
    expect(p.warnings).toEqual([
      "input[0].encrypted_content was not sealed by this server (or its key changed); it was ignored."
    ])
  })
  it("a compaction_trigger asks for a summary: no tools, the instruction last", () => {
    const p = plan({
      model: "m",
      tools: [{ type: "function", name: "sh" }],
      tool_choice: "required",
      input: [{ role: "user", content: "task" }, { type: "compaction_trigger" }]
    })
    expect(p.compaction).toBe(true)
    expect(p.request.tools).toBeUndefined()
    expect(p.request.tool_choice).toBeUndefined()
    expect(p.request.messages.at(-1)).toEqual({ role: "user", content: summaryInstruction })
  })
})

describe("sequencer", () => {
  const chunk = (
    delta: Record<string, unknown>,
    finish: string | null = null
  ): ChatCompletions.ChatCompletionChunk => ({
    id: "c",
    choices: [{ index: 0, delta, finish_reason: finish }]
  })
  const usage: ChatCompletions.ChatCompletionChunk = {
    id: "c",
    choices: [],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }
  }
  const ctx = (extra: Partial<Sequencer.Context>): Sequencer.Context => ({
    responseId: "resp_1",
    createdAt: 1,
    model: "m",
    ids: Ids.counter(),
    ...extra
  })

  it("reasoning closes with its sealed copy in encrypted_content; the stream still obeys the grammar", () => {
    const { events, response } = Sequencer.run(ctx({ sealReasoning: seal("reasoning") }), [
      chunk({ reasoning_content: "think " }),
      chunk({ reasoning_content: "hard" }),
      chunk({ content: "hi" }),
      chunk({}, "stop"),
      usage
    ])
    expect(response.output[0]).toMatchObject({ type: "reasoning", encrypted_content: "sealed:reasoning:think hard" })
    expect(validateStream(events)).toEqual([])
  })

  it("compaction mode: the model's text becomes exactly one compaction item, reasoning left out", () => {
    const { events, response } = Sequencer.run(ctx({ sealCompaction: seal("compaction") }), [
      chunk({ reasoning_content: "let me summarise" }),
      chunk({ content: "The user wants " }),
      chunk({ content: "X." }),
      chunk({}, "stop"),
      usage
    ])
    expect(response.status).toBe("completed")
    expect(response.output).toEqual([
      { type: "compaction", id: "cmp_0001", encrypted_content: "sealed:compaction:The user wants X." }
    ])
    expect(events.filter((e) => e.type === "response.output_item.done")).toHaveLength(1)
    expect(response.usage?.total_tokens).toBe(10)
    expect(validateStream(events)).toEqual([])
  })

  it("compaction mode: no summary written → response.failed, no compaction item", () => {
    const { events, response } = Sequencer.run(ctx({ sealCompaction: seal("compaction") }), [
      chunk({ content: "  " }),
      chunk({}, "stop")
    ])
    expect(response.status).toBe("failed")
    expect(response.error?.code).toBe("empty_summary")
    expect(response.output).toEqual([])
    expect(validateStream(events)).toEqual([])
  })

  it("compaction mode: a summary cut by the token cap ends incomplete, with no item", () => {
    const { response } = Sequencer.run(ctx({ sealCompaction: seal("compaction") }), [
      chunk({ content: "The user" }),
      chunk({}, "length")
    ])
    expect(response.status).toBe("incomplete")
    expect(response.output).toEqual([])
  })
})
