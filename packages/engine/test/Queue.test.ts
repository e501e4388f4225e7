import { expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Source from "@parlance/schema/Source"
import * as Engine from "../src/Engine.js"
import { assertWellFormed, collect, failure, isBackendError, request, tinyEngineLayer } from "./support.js"

const long = request({ max_tokens: 1500, messages: [{ role: "user", content: "Tell me a very long story." }] })

/** Fork a long generation and wait until it has produced its first chunk (so it holds the sequence). */
const startLong = (engine: Engine.EngineBackend) =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkChild(
      Stream.runDrain(Source.stream(engine, long).pipe(Stream.tap(() => Deferred.succeed(started, undefined))))
    )
    yield* Deferred.await(started)
    return fiber
  })

const waitUntil = (check: Effect.Effect<boolean>) =>
  Effect.repeat(check, { until: (ok) => ok, schedule: Schedule.spaced("5 millis") }).pipe(
    Effect.flatMap(() => Effect.void),
    Effect.timeout("10 seconds")
  )

layer(tinyEngineLayer({ parallel: 1, queueLimit: 1 }), { excludeTestServices: true, timeout: 60_000 })(
  "Engine (parallel 1, queue 1)",
  (it) => {
    it.effect("interrupting a stream aborts generation and frees the sequence", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const t0 = Date.now()
        const head = yield* Stream.runCollect(Stream.take(Source.stream(engine, long), 3))
        expect(head.length).toBe(3)
        // The lease is released only after node-llama-cpp returned, i.e. the sequence is idle again.
        expect(yield* engine.load).toEqual({ busy: 0, waiting: 0, size: 1 })
        const next = yield* collect(engine, request({ max_tokens: 4 }))
        expect(assertWellFormed(next).usage.completion_tokens).toBe(4)
        // 1500 tokens would take far longer than this on a 2-core CPU.
        expect(Date.now() - t0).toBeLessThan(15_000)
      })
    )

    it.effect("waits in the queue for a busy sequence, fails with 503 past queueLimit", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const first = yield* startLong(engine)
        const queued = yield* Effect.forkChild(collect(engine, request({ max_tokens: 4 })))
        yield* waitUntil(Effect.map(engine.load, (l) => l.waiting === 1))
        const t0 = Date.now()
        const error = yield* failure(engine, request({ max_tokens: 4 }))
        // At once, not after waiting for the busy sequence (a 1500-token generation, far longer): seconds of
        // slack for a loaded machine.
        expect(Date.now() - t0).toBeLessThan(5_000)
        expect(isBackendError(error)).toBe(true)
        expect(error.reason).toBe("overloaded")
        expect(error.code).toBe("server_busy")
        yield* Fiber.interrupt(first)
        const chunks = yield* Fiber.join(queued)
        expect(assertWellFormed(chunks).finishReason).toBe("length")
        expect(yield* engine.load).toEqual({ busy: 0, waiting: 0, size: 1 })
      })
    )

    it.effect("onQueued tells a request that waits, once, and never one that gets a sequence at once", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        let direct = 0
        yield* collect(engine, request({ max_tokens: 2 }), { onQueued: () => void direct++ })
        expect(direct).toBe(0)
        const first = yield* startLong(engine)
        let waited = 0
        const queued = yield* Effect.forkChild(
          collect(engine, request({ max_tokens: 2 }), { onQueued: () => void waited++ })
        )
        yield* waitUntil(Effect.map(engine.load, (l) => l.waiting === 1))
        expect(waited).toBe(1)
        yield* Fiber.interrupt(first)
        expect(assertWellFormed(yield* Fiber.join(queued)).usage.completion_tokens).toBe(2)
        expect(waited).toBe(1)
      })
    )

    it.effect("a waiter interrupted in the queue leaves it", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const first = yield* startLong(engine)
        const queued = yield* Effect.forkChild(collect(engine, request({ max_tokens: 4 })))
        yield* waitUntil(Effect.map(engine.load, (l) => l.waiting === 1))
        yield* Fiber.interrupt(queued)
        expect((yield* engine.load).waiting).toBe(0)
        yield* Fiber.interrupt(first)
        expect(assertWellFormed(yield* collect(engine, request({ max_tokens: 2 }))).usage.completion_tokens).toBe(2)
      })
    )
  }
)
