import { describe, expect, it } from "@effect/vitest"
import * as Render from "../src/internal/chatRender.js"

const fold = (ansi: boolean, events: ReadonlyArray<unknown>) => {
  let turn = Render.initialTurn
  const writes: Array<Render.Write> = []
  for (const e of events) {
    const [next, out] = Render.render({ ansi }, turn, e)
    turn = next
    writes.push(...out)
  }
  return {
    turn,
    out: writes
      .filter((w) => w.to === "out")
      .map((w) => w.text)
      .join(""),
    err: writes
      .filter((w) => w.to === "err")
      .map((w) => w.text)
      .join("")
  }
}

const events = [
  { type: "response.created", response: { id: "resp_1" } },
  { type: "response.output_item.added", item: { type: "reasoning" } },
  { type: "response.reasoning_summary_text.delta", delta: "hmm" },
  { type: "response.output_item.done", item: { type: "reasoning" } },
  { type: "response.output_item.added", item: { type: "message" } },
  { type: "response.output_text.delta", delta: "Hi" },
  { type: "response.output_item.done", item: { type: "message" } },
  { type: "response.incomplete", response: { incomplete_details: { reason: "max_output_tokens" } } }
]

describe("chat rendering", () => {
  it("dims reasoning only on a TTY, and reports an incomplete answer on stderr", () => {
    expect(fold(true, events)).toMatchObject({
      out: "\x1b[2mhmm\x1b[22m\nHi\n",
      turn: { responseId: "resp_1", terminal: "response.incomplete" }
    })
    const plain = fold(false, events)
    expect(plain.out).toBe("thinking: hmm\nHi\n")
    expect(plain.err).toBe("[incomplete: max_output_tokens]\n")
  })

  it("shows a failure's message and code", () => {
    const failed = fold(false, [
      { type: "response.failed", response: { error: { code: "upstream_error", message: "boom" } } }
    ])
    expect(failed.err).toBe("error: boom (upstream_error)\n")
  })
})
