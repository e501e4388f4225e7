import type { ChatCompletionChunk, ChatDelta } from "@parlance/schema/ChatCompletions"
import { describe, expect, it } from "vitest"
import { coalesce, makeChunkFactory } from "../src/internal/chunks.js"

const chunks = makeChunkFactory("tiny")
const d = (delta: ChatDelta) => chunks.delta(delta)
const deltas = (batch: ReadonlyArray<ChatCompletionChunk>) => batch.map((c) => c.choices[0]?.delta)

describe("coalesce", () => {
  it("joins each run of text deltas of one kind, in order, and leaves every other chunk as it was", () => {
    const role = d({ role: "assistant", content: null })
    const call = d({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] })
    const finish = chunks.finish("stop")
    const batch = [
      role,
      d({ reasoning_content: "th" }),
      d({ reasoning_content: "ink" }),
      d({ content: "Hel" }),
      d({ content: "lo" }),
      d({ content: "!" }),
      call,
      d({ content: "a" }),
      finish
    ]
    const out = coalesce(batch)
    expect(deltas(out)).toEqual([
      { role: "assistant", content: null },
      { reasoning_content: "think" },
      { content: "Hello!" },
      call.choices[0]!.delta,
      { content: "a" },
      {}
    ])
    expect(out[0]).toBe(role)
    expect(out[3]).toBe(call)
    expect(out[4]).toBe(batch[7])
    expect(out.at(-1)).toBe(finish)
    // The joined chunks keep the stream's id, model and created.
    expect({ ...out[2], choices: [] }).toEqual({ ...batch[3], choices: [] })
  })

  it("hands a batch with nothing to join back as it was", () => {
    const batch = [d({ content: "one" }), chunks.usage({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 })]
    expect(coalesce(batch)).toEqual(batch)
    expect(coalesce([])).toEqual([])
  })
})
