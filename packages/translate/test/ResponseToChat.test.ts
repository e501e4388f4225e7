import { describe, expect, it } from "@effect/vitest"
import type { ChatCompletions } from "@parlance/schema"
import * as Result from "effect/Result"
import * as ChatAggregate from "../src/ChatAggregate.js"
import { toChatCompletion, toResponsesRequest } from "../src/ResponseToChat.js"
import { toChatRequest } from "../src/ToChatRequest.js"
import type { Expect } from "./vectorSources.js"
import { replay, streamVectors, vectorInputs } from "./vectorReplay.js"

const vectors = streamVectors()
const expected = (v: (typeof vectors)[number]) => v.expect as unknown as Expect

describe("Response → chat.completion agrees with aggregating the same chunks directly", () => {
  // The naive aggregate merges calls that restart at index 0, and failed responses have no chat equivalent.
  const comparable = vectors.filter((v) => expected(v).status !== "failed" && v.name !== "tool-call-index-restarts")
  it("covers most vectors", () => expect(comparable.length).toBeGreaterThan(20))
  for (const vector of comparable) {
    it(vector.name, () => {
      const ours = toChatCompletion(replay(vector).response).choices[0]!
      const chunks = vectorInputs(vector).filter((i): i is ChatCompletions.ChatCompletionChunk => !("_tag" in i))
      const direct = ChatAggregate.aggregate(chunks, { id: "x", created: 0, model: "m" }).choices[0]!
      expect(ours.message.content ?? "").toBe(direct.message.content ?? "")
      expect(ours.message.reasoning_content ?? "").toBe(direct.message.reasoning_content ?? "")
      expect(ours.message.refusal ?? "").toBe(direct.message.refusal ?? "")
      expect((ours.message.tool_calls ?? []).map((c) => [c.function.name, c.function.arguments])).toEqual(
        (direct.message.tool_calls ?? []).map((c) => [c.function.name, c.function.arguments])
      )
      for (const [k, call] of (direct.message.tool_calls ?? []).entries())
        if (call.id !== "") expect(ours.message.tool_calls![k]!.id).toBe(call.id)
      const expected =
        direct.finish_reason === "stop" && (direct.message.tool_calls ?? []).length > 0
          ? "tool_calls"
          : direct.finish_reason
      expect(ours.finish_reason).toBe(expected)
    })
  }
})

describe("chat request → Responses request → chat request", () => {
  const chat: ChatCompletions.ChatCompletionRequest = {
    model: "m",
    messages: [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }
        ]
      },
      {
        role: "assistant",
        content: null,
        reasoning_content: "need tools",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "a", arguments: "{}" } },
          { id: "c2", type: "function", function: { name: "b", arguments: '{"x":1}' } }
        ]
      },
      { role: "tool", tool_call_id: "c1", content: "one" },
      { role: "tool", tool_call_id: "c2", content: "two" },
      { role: "assistant", content: "done" },
      { role: "user", content: "thanks" }
    ],
    tools: [
      { type: "function", function: { name: "a", parameters: { type: "object", properties: {} } } },
      {
        type: "function",
        function: {
          name: "b",
          description: "B",
          parameters: { type: "object", properties: { x: { type: "number" } } },
          strict: true
        }
      }
    ],
    tool_choice: { type: "function", function: { name: "b" } },
    parallel_tool_calls: false,
    response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" }, strict: true } },
    max_tokens: 99,
    temperature: 0.5,
    reasoning_effort: "low"
  }

  it("keeps messages, tools, tool_choice, format and sampling", () => {
    const responses = toResponsesRequest(chat)
    if (Result.isFailure(responses)) throw responses.failure
    expect(responses.success.store).toBe(false)
    const back = toChatRequest(responses.success)
    if (Result.isFailure(back)) throw back.failure
    const r = back.success.request
    expect(r.messages).toEqual(chat.messages)
    expect(r.tools).toEqual(chat.tools)
    expect(r.tool_choice).toEqual(chat.tool_choice)
    expect(r.parallel_tool_calls).toBe(false)
    expect(r.response_format).toEqual(chat.response_format)
    expect([r.max_tokens, r.temperature, r.reasoning_effort]).toEqual([99, 0.5, "low"])
  })

  it("refuses what Responses cannot express, naming the param", () => {
    const refused = (c: Partial<ChatCompletions.ChatCompletionRequest>) =>
      Result.flip(toResponsesRequest({ ...chat, ...c })).pipe(Result.map((e) => e.param))
    expect(refused({ n: 2 })).toEqual(Result.succeed("n"))
    expect(refused({ stop: ["\n"] })).toEqual(Result.succeed("stop"))
    expect(refused({ reasoning_effort: "turbo" })).toEqual(Result.succeed("reasoning_effort"))
    expect(
      refused({
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }]
      })
    ).toEqual(Result.succeed("messages[0].content[0]"))
  })
})
