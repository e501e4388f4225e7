import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import * as ChunkDecode from "../src/ChunkDecode.js"
import * as Sequencer from "../src/Sequencer.js"
import * as Sse from "../src/Sse.js"

const utf8 = new TextEncoder()
const data = (text: string) => Sse.decodeText(text).map((m) => m.data)

/** A Chat Completions stream as llama-server sends it, with multi-byte text and an emoji (4 UTF-8 bytes). */
const upstream =
  [
    `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"id":"chatcmpl-1","object":"chat.completion.chunk"}`,
    `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Grüße, 日本語 🎉👩‍👩‍👧"}}],"id":"chatcmpl-1","object":"chat.completion.chunk"}`,
    `data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"id":"chatcmpl-1","object":"chat.completion.chunk"}`,
    `data: [DONE]`
  ].join("\n\n") + "\n\n"

describe("Sse.decodeText", () => {
  it("decodes LF, CRLF and CR line endings alike", () => {
    const lf = "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n"
    const want = [
      { event: "a", data: "1", id: undefined },
      { event: "b", data: "2", id: undefined }
    ]
    expect(Sse.decodeText(lf)).toEqual(want)
    expect(Sse.decodeText(lf.replaceAll("\n", "\r\n"))).toEqual(want)
    expect(Sse.decodeText(lf.replaceAll("\n", "\r"))).toEqual(want)
    // Mixed in one stream.
    expect(Sse.decodeText("event: a\r\ndata: 1\r\revent: b\ndata: 2\r\n\n")).toEqual(want)
  })

  it("skips comments (keep-alive pings) and fields it does not know", () => {
    expect(data(": ping\n\n: another\ndata: x\nretry: 1000\nfoo: bar\n\n:\n\n")).toEqual(["x"])
  })

  it("passes [DONE] through as data, which ChunkDecode turns into End", () => {
    const messages = Sse.decodeText(upstream)
    expect(messages.map((m) => m.data).at(-1)).toBe("[DONE]")
    expect(ChunkDecode.fromData(messages.at(-1)!.data)).toEqual(Sequencer.end)
  })

  it("joins multi-line data with \\n", () => {
    expect(data("data: line 1\ndata: line 2\ndata:\ndata: line 4\n\n")).toEqual(["line 1\nline 2\n\nline 4"])
  })

  it("strips exactly one space after the colon", () => {
    expect(data("data:no-space\n\ndata:  two-spaces\n\n")).toEqual(["no-space", " two-spaces"])
  })

  it("keeps the id field", () => {
    expect(Sse.decodeText("id: 7\nevent: e\ndata: x\n\n")).toEqual([{ event: "e", data: "x", id: "7" }])
  })

  it("emits a final event that has no trailing blank line", () => {
    expect(data("data: a\n\ndata: last")).toEqual(["a", "last"])
    expect(data("data: a\n\ndata: last\n")).toEqual(["a", "last"])
    expect(data("data: a\n\ndata: last\r")).toEqual(["a", "last"])
  })

  it("ignores a leading byte-order mark", () => {
    const decoder = Sse.makeDecoder()
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode("data: x\n\n")])
    expect([...decoder.feed(bytes), ...decoder.end()].map((m) => m.data)).toEqual(["x"])
  })

  it("yields nothing for an empty or comment-only body", () => {
    expect(Sse.decodeText("")).toEqual([])
    expect(Sse.decodeText(": ping\n\n")).toEqual([])
  })
})

describe("Sse.makeDecoder over bytes", () => {
  const bytes = utf8.encode(upstream)
  const whole = Sse.decodeText(upstream)

  it("the capture holds multi-byte characters", () => {
    expect(bytes.length).toBeGreaterThan(upstream.length)
  })

  it("decodes the same messages when the bytes are split at EVERY offset", () => {
    for (let at = 0; at <= bytes.length; at++) {
      const decoder = Sse.makeDecoder()
      const got = [...decoder.feed(bytes.subarray(0, at)), ...decoder.feed(bytes.subarray(at)), ...decoder.end()]
      expect(got, `split at byte ${at}`).toEqual(whole)
    }
  })

  it("decodes the same messages when fed one byte at a time, and every pair of offsets", () => {
    const decoder = Sse.makeDecoder()
    const got = [...Array.from(bytes, (b) => decoder.feed(new Uint8Array([b]))).flat(), ...decoder.end()]
    expect(got).toEqual(whole)
    // Three pieces around the emoji and the CJK text: every pair of cut points in that region.
    const start = bytes.indexOf(0xe6) - 2
    for (let a = start; a < start + 24; a++) {
      for (let b = a; b < start + 24; b++) {
        const d = Sse.makeDecoder()
        const out = [
          ...d.feed(bytes.subarray(0, a)),
          ...d.feed(bytes.subarray(a, b)),
          ...d.feed(bytes.subarray(b)),
          ...d.end()
        ]
        expect(out, `cuts ${a}/${b}`).toEqual(whole)
      }
    }
  })

  it("flushes a final event without a blank line, whose last character is split", () => {
    const tail = utf8.encode("data: 🎉")
    const decoder = Sse.makeDecoder()
    const got = [
      ...decoder.feed(tail.subarray(0, tail.length - 2)),
      ...decoder.feed(tail.subarray(tail.length - 2)),
      ...decoder.end()
    ]
    expect(got.map((m) => m.data)).toEqual(["🎉"])
  })

  it("accepts text and bytes in one stream", () => {
    const decoder = Sse.makeDecoder()
    const got = [...decoder.feed("data: a"), ...decoder.feed(utf8.encode("bc\n\n")), ...decoder.end()]
    expect(got.map((m) => m.data)).toEqual(["abc"])
  })
})

describe("Sse.decodeStream", () => {
  const bytes = utf8.encode(upstream)

  it.effect("decodes an Effect Stream of byte chunks cut anywhere", () =>
    Effect.gen(function* () {
      for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
        const pieces: Array<Uint8Array> = []
        for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size))
        const messages = yield* Stream.runCollect(Sse.decodeStream(Stream.fromIterable(pieces)))
        expect(messages).toEqual(Sse.decodeText(upstream))
      }
    })
  )

  it.effect("emits the final event without a blank line when the stream ends", () =>
    Effect.gen(function* () {
      const messages = yield* Stream.runCollect(
        Sse.decodeStream(Stream.make(utf8.encode("data: a\n\nda"), utf8.encode("ta: b")))
      )
      expect(messages.map((m) => m.data)).toEqual(["a", "b"])
    })
  )

  it.effect("a fresh decoder per run: the stream can be run twice", () =>
    Effect.gen(function* () {
      const decoded = Sse.decodeStream(Stream.make(utf8.encode("data: a\n\ndata: b")))
      const first = yield* Stream.runCollect(decoded)
      const second = yield* Stream.runCollect(decoded)
      expect(second).toEqual(first)
    })
  )

  it.effect("propagates the byte stream's failure", () =>
    Effect.gen(function* () {
      const result = yield* Stream.runCollect(
        Sse.decodeStream(Stream.concat(Stream.make(utf8.encode("data: a\n\n")), Stream.fail("boom" as const)))
      ).pipe(Effect.flip)
      expect(result).toBe("boom")
    })
  )
})

describe("Sse.encodeEvent", () => {
  it("writes event: <type> and one data line, terminated by a blank line", () => {
    const event = {
      type: "response.output_text.delta",
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: "a\nb\r\u2028",
      logprobs: [],
      sequence_number: 3
    } as const
    const frame = Sse.encodeEvent(event)
    expect(frame).toBe(`event: response.output_text.delta\ndata: ${JSON.stringify(event)}\n\n`)
    expect(frame.split("\n")).toHaveLength(4)
    const [decoded] = Sse.decodeText(frame)
    expect(decoded!.event).toBe(event.type)
    expect(JSON.parse(decoded!.data)).toEqual(event)
  })

  it("encodeData + done produce what upstream servers send", () => {
    expect(Sse.encodeData({ a: 1 }) + Sse.done).toBe('data: {"a":1}\n\ndata: [DONE]\n\n')
  })
})

describe("Sse.encodeEvent", () => {
  const generic = (event: object & { type: string }) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
  const delta = fc.record({
    type: fc.constant("response.output_text.delta" as const),
    item_id: fc.string(),
    output_index: fc.nat(),
    content_index: fc.nat(),
    delta: fc.string({ unit: "binary" }),
    logprobs: fc.constant([]),
    sequence_number: fc.nat()
  })

  it("writes a text delta byte for byte as JSON.stringify does (any text: quotes, escapes, lone surrogates)", () => {
    fc.assert(
      fc.property(delta, (event) => {
        expect(Sse.encodeEvent(event)).toBe(generic(event))
      }),
      { numRuns: 2000 }
    )
  })

  it("falls back to the generic encoding for a delta of any other shape", () => {
    const base = {
      type: "response.output_text.delta" as const,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: "hi",
      logprobs: [],
      sequence_number: 3
    }
    const variants = [
      { ...base, obfuscation: "x" },
      { ...base, logprobs: [{ token: "hi", logprob: -0.1, bytes: [104, 105], top_logprobs: [] }] },
      {
        sequence_number: 3,
        type: base.type,
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta: "hi",
        logprobs: []
      }
    ]
    for (const event of variants) expect(Sse.encodeEvent(event as never)).toBe(generic(event))
  })
})
