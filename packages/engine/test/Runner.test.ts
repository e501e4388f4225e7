/**
 * `Engine.spawn`: the engine in a child process answers exactly what the in-process engine answers, and a stream
 * stopped early frees its sequence in the runner.
 */
import { describe, expect, it } from "@effect/vitest"
import { ensureTinyModel } from "@parlance/tiny-model"
import * as Source from "@parlance/schema/Source"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as Engine from "../src/Engine.js"
import { request, threads } from "./support.js"

const text = (engine: Engine.EngineBackend, max: number) =>
  Effect.map(Stream.runCollect(Source.stream(engine, request({ max_tokens: max }))), (chunks) => ({
    text: chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""),
    finish: chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter((f) => f != null),
    // cached_tokens depends on what the sequence held before (the runner's probe)
    tokens: [chunks.at(-1)?.usage?.prompt_tokens, chunks.at(-1)?.usage?.completion_tokens]
  }))

describe("Engine.spawn", { timeout: 60_000 }, () => {
  it.effect("streams what the in-process engine streams, and frees a sequence a stopped stream held", () =>
    Effect.gen(function* () {
      const model = yield* Effect.promise(ensureTinyModel)
      const options = { model, threads, contextSize: 2048, parallel: 1 }
      const local = yield* text(yield* Engine.make(options), 24)
      const spawned = yield* Engine.spawn(options)
      expect(yield* spawned.health!).toEqual({ state: "ready", gpu: "CPU", restarts: 0 })
      expect(spawned.info).toMatchObject({ gpu: false, parallel: 1, threads })
      expect(yield* text(spawned, 24)).toEqual(local)
      expect(yield* spawned.countPromptTokens(request())).toBe(local.tokens[0])
      // Two chunks of a long stream, then stopped: the one sequence is free for the next request.
      yield* Stream.runDrain(Stream.take(Source.stream(spawned, request({ max_tokens: 500 })), 2))
      expect((yield* text(spawned, 24)).text).toBe(local.text)
      expect(yield* spawned.load).toEqual({ busy: 0, waiting: 0, size: 1 })
      // The one sequence busy: a second request is told it waits (the runner's `queued` message), once.
      const started = yield* Deferred.make<void>()
      const long = yield* Effect.forkChild(
        Stream.runDrain(
          Source.stream(spawned, request({ max_tokens: 1500 })).pipe(
            Stream.tap(() => Deferred.succeed(started, undefined))
          )
        )
      )
      yield* Deferred.await(started)
      let queued = 0
      const waiting = yield* Effect.forkChild(
        Stream.runCollect(Source.stream(spawned, request({ max_tokens: 2 }), { onQueued: () => void queued++ }))
      )
      // Real time (the test clock does not advance by itself).
      while (queued === 0) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      yield* Fiber.interrupt(long)
      expect((yield* Fiber.join(waiting)).at(-1)?.usage?.completion_tokens).toBe(2)
      expect(queued).toBe(1)
    }).pipe(Effect.scoped)
  )
})
