import { describe, expect, it } from "@effect/vitest"
import * as Dialect from "../src/Dialect.js"
import * as Sse from "../src/Sse.js"
import { checkStream } from "../src/ValidateStream.js"
import { replay, streamVectors } from "./vectorReplay.js"

const reasoning = streamVectors().find((v) => v.name === "reasoning-then-text")!

const decode = (text: string) => {
  const messages = Sse.decodeText(text).filter((m) => m.data !== "[DONE]")
  return { names: messages.map((m) => m.event), events: messages.map((m) => JSON.parse(m.data)) }
}

describe("dialects", () => {
  it("OpenAI's encoding is the plain SSE encoding, with no end marker", () => {
    const { events } = replay(reasoning)
    expect(Dialect.encodeBatch(events, "openai", true)).toBe(events.map(Sse.encodeEvent).join(""))
  })

  it("the spec's renames the raw reasoning events only, and ends with data: [DONE]", () => {
    const { events } = replay(reasoning)
    const text = Dialect.encodeBatch(events, "openresponses", true)
    expect(text.endsWith("event: response.completed\n")).toBe(false)
    expect(text.endsWith(Sse.done)).toBe(true)
    const spec = decode(text)
    expect(spec.events).toHaveLength(events.length)
    spec.events.forEach((event, i) => {
      const original = events[i]!
      expect(event.type).toBe(Dialect.nameIn(original.type, "openresponses"))
      expect({ ...event, type: Dialect.toOpenAi(event.type) }).toEqual(original)
    })
    expect(spec.names).toContain("response.reasoning.delta")
    expect(spec.names).toContain("response.reasoning.done")
    expect(spec.names.some((n) => n?.startsWith("response.reasoning_text."))).toBe(false)
    // The checker judges a spec-dialect capture by the same rules: not even a note.
    expect(checkStream(spec.events, { eventNames: spec.names })).toEqual([])
  })

  it("no end marker before the terminal batch", () => {
    const { events } = replay(reasoning)
    expect(Dialect.encodeBatch(events.slice(0, 3), "openresponses", false).includes("[DONE]")).toBe(false)
  })

  it("renames kept OpenAI frames into the spec's names (only the reasoning ones decoded), and knows the terminal frame", () => {
    const { events } = replay(reasoning)
    const kept = events.map(Sse.encodeEvent).join("")
    expect(Dialect.renameFrames(kept, "openai")).toEqual({ text: kept, ended: true })
    const renamed = Dialect.renameFrames(kept, "openresponses")
    expect(renamed.ended).toBe(true)
    // What the spec's live stream is, less its end marker (the reader adds it once it has the terminal frame).
    expect(renamed.text + Sse.done).toBe(Dialect.encodeBatch(events, "openresponses", true))
    // Split anywhere between frames: the pieces rename to the same text, and only the last one ends.
    const cut = kept.indexOf("\n\n", kept.length / 2) + 2
    const [a, b] = [
      Dialect.renameFrames(kept.slice(0, cut), "openresponses"),
      Dialect.renameFrames(kept.slice(cut), "openresponses")
    ]
    expect(a.text + b.text).toBe(renamed.text)
    expect([a.ended, b.ended]).toEqual([false, true])
    expect(Dialect.renameFrames("", "openresponses")).toEqual({ text: "", ended: false })
  })
})
