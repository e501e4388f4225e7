/** The one push→pull buffer: batching, the two wake policies, the ending, release, and the derived Stream. */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { BackendError, type ChatBackend } from "../src/ChatBackend.js"
import type { ChatCompletionChunk } from "../src/ChatCompletions.js"
import * as Source from "../src/Source.js"
import * as SourceBuffer from "../src/SourceBuffer.js"

const chunk = (content: string): ChatCompletionChunk => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 0,
  model: "m",
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})
const contents = (batch: Source.Batch) =>
  batch._tag === "Chunks" ? batch.chunks.map((c) => c.choices[0]!.delta.content) : batch._tag
const boom = new BackendError({ reason: "internal", message: "boom", code: null, param: null })
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("SourceBuffer", () => {
  it("a read takes everything buffered as one batch, then the ending", async () => {
    const buffer = SourceBuffer.make()
    buffer.offer(chunk("a"))
    buffer.offerAll([chunk("b"), chunk("c")])
    buffer.end()
    buffer.offer(chunk("late"))
    expect(contents(await buffer.source.next())).toEqual(["a", "b", "c"])
    expect(await buffer.source.next()).toBe(Source.end)
    expect(await buffer.source.next()).toBe(Source.end)
  })

  it("a failure comes after the chunks before it, and stays", async () => {
    const buffer = SourceBuffer.make({ wake: "microtask" })
    buffer.offer(chunk("a"))
    buffer.fail(boom)
    expect(contents(await buffer.source.next())).toEqual(["a"])
    expect(await buffer.source.next()).toEqual(Source.failed(boom))
    expect(await buffer.source.next()).toEqual(Source.failed(boom))
  })

  it("throttled: the first token wakes the reader on the next macrotask, never synchronously", async () => {
    const buffer = SourceBuffer.make({ wake: { throttleMs: 50 } })
    let got: Source.Batch | undefined
    buffer.source.next().then((batch) => (got = batch))
    buffer.offer(chunk("a"))
    await Promise.resolve()
    expect(got).toBeUndefined()
    await tick()
    expect(contents(got!)).toEqual(["a"])
  })

  it("throttled: tokens within the interval arrive as one batch, at most one wake-up per interval", async () => {
    // An interval far longer than two ticks, even when a loaded machine stalls for a second or more: the three
    // tokens fall within it.
    const buffer = SourceBuffer.make({ wake: { throttleMs: 2_000 } })
    // Taken before the first wake-up, so that a stall before the first read resumes cannot shorten what is seen.
    const t0 = performance.now()
    const first = buffer.source.next()
    buffer.offer(chunk("a"))
    expect(contents(await first)).toEqual(["a"])
    const second = buffer.source.next()
    buffer.offer(chunk("b"))
    await tick()
    buffer.offer(chunk("c"))
    await tick()
    buffer.offer(chunk("d"))
    expect(contents(await second)).toEqual(["b", "c", "d"])
    // Woken no sooner than the interval after the previous wake-up (less a timer's few ms of rounding).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_950)
  })

  it("throttled: the end wakes a reader at once, with what was buffered", async () => {
    const buffer = SourceBuffer.make({ wake: { throttleMs: 10_000 } })
    buffer.offer(chunk("a"))
    expect(contents(await buffer.source.next())).toEqual(["a"])
    const t0 = performance.now()
    const pending = buffer.source.next()
    buffer.offer(chunk("b"))
    buffer.end()
    expect(contents(await pending)).toEqual(["b"])
    expect(await buffer.source.next()).toBe(Source.end)
    // At once, not at the 10 s interval: seconds of slack for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(5_000)
  })

  it("microtask: all the pushes of one synchronous run are one batch, before any macrotask", async () => {
    const buffer = SourceBuffer.make({ wake: "microtask" })
    let got: Source.Batch | undefined
    buffer.source.next().then((batch) => (got = batch))
    buffer.offer(chunk("a"))
    buffer.offer(chunk("b"))
    expect(got).toBeUndefined()
    await Promise.resolve()
    await Promise.resolve()
    expect(contents(got!)).toEqual(["a", "b"])
  })

  it("pull: raw input is turned into chunks once per read, and a signal wakes the reader", async () => {
    const raw: Array<string> = []
    let pulls = 0
    const buffer: SourceBuffer.SourceBuffer = SourceBuffer.make({
      wake: "microtask",
      pull: () => {
        pulls++
        buffer.offerAll(raw.splice(0).map(chunk))
      }
    })
    const pending = buffer.source.next()
    raw.push("a", "b")
    buffer.signal()
    raw.push("c")
    buffer.signal()
    expect(contents(await pending)).toEqual(["a", "b", "c"])
    expect(pulls).toBe(2)
  })

  it("release settles a pending read (Failed), frees the producer once, and drops what comes after", async () => {
    let frees = 0
    let free: () => void = () => undefined
    const buffer = SourceBuffer.make({
      onRelease: () => {
        frees++
        return new Promise<void>((resolve) => (free = resolve))
      }
    })
    const pending = buffer.source.next()
    let freed = false
    buffer.source.release().then(() => (freed = true))
    const batch = await pending
    expect(batch._tag === "Failed" && batch.error.code).toBe("released")
    buffer.offer(chunk("late"))
    expect((await buffer.source.next())._tag).toBe("Failed")
    expect(buffer.released && buffer.settled).toBe(true)
    await tick()
    expect(freed).toBe(false)
    free()
    await buffer.source.release()
    expect(freed).toBe(true)
    expect(frees).toBe(1)
  })

  it("release after the end keeps the end", async () => {
    const buffer = SourceBuffer.make()
    buffer.end()
    await buffer.source.release()
    expect(await buffer.source.next()).toBe(Source.end)
  })
})

describe("Source.stream (the derived helper)", () => {
  const backendOf = (fill: (buffer: SourceBuffer.SourceBuffer) => void, released: { count: number }) =>
    ({
      kind: "test",
      models: Effect.succeed([]),
      open: () =>
        Effect.sync(() => {
          const buffer = SourceBuffer.make({ onRelease: () => void released.count++ })
          fill(buffer)
          return buffer.source
        })
    }) satisfies ChatBackend

  it.effect("reads the chunks in order and releases the source at the end", () =>
    Effect.gen(function* () {
      const released = { count: 0 }
      const backend = backendOf((b) => {
        b.offerAll([chunk("a"), chunk("b")])
        setTimeout(() => (b.offer(chunk("c")), b.end()), 5)
      }, released)
      const all = yield* Stream.runCollect(Source.stream(backend, { model: "m", messages: [] }))
      expect(all.map((c) => c.choices[0]!.delta.content)).toEqual(["a", "b", "c"])
      expect(released.count).toBe(1)
    })
  )

  it.effect("a failure before the first chunk fails the open; interrupting releases", () =>
    Effect.gen(function* () {
      const released = { count: 0 }
      const failing = backendOf((b) => b.fail(boom), released)
      const error = yield* Effect.flip(Stream.runDrain(Source.stream(failing, { model: "m", messages: [] })))
      expect(error).toBe(boom)
      const endless = backendOf((b) => b.offer(chunk("a")), released)
      const head = yield* Stream.runCollect(Stream.take(Source.stream(endless, { model: "m", messages: [] }), 1))
      expect(head.length).toBe(1)
      expect(released.count).toBe(2)
    })
  )
})
