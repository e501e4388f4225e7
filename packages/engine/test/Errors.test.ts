import { describe, expect, it, layer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Engine from "../src/Engine.js"
import { failure, isBackendError, request, threads, tinyEngineLayer } from "./support.js"

const expect400 = (error: unknown, param: string, code?: string) => {
  expect(isBackendError(error)).toBe(true)
  if (!isBackendError(error)) return
  // The request's fault (the server answers both reasons with 400 invalid_request_error).
  expect(["bad_request", "context_overflow"]).toContain(error.reason)
  expect(error.param).toBe(param)
  if (code !== undefined) expect(error.code).toBe(code)
}

/** The typed error of an exit whose cause is exactly one failure (no defect, no interruption). */
const onlyFailure = <E>(exit: Exit.Exit<unknown, E>): E | undefined => {
  if (Exit.isSuccess(exit) || exit.cause.reasons.length !== 1) return undefined
  const reason = exit.cause.reasons[0]
  return Cause.isFailReason(reason) ? reason.error : undefined
}

layer(tinyEngineLayer({ parallel: 1 }), { excludeTestServices: true, timeout: 60_000 })(
  "Engine request errors",
  (it) => {
    it.effect("a prompt longer than the context → 400 context_length_exceeded on messages", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const huge = "the weather in Paris is sunny today ".repeat(400)
        const error = yield* failure(engine, request({ messages: [{ role: "user", content: huge }] }))
        expect400(error, "messages", "context_length_exceeded")
        expect(error.message).toContain(`${engine.info.contextSize} tokens`)
      })
    )

    it.effect("an image part to a text-only model → 400 naming the part", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const error = yield* failure(
          engine,
          request({
            messages: [
              { role: "system", content: "You are helpful." },
              {
                role: "user",
                content: [
                  { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
                  { type: "text", text: "What is this?" }
                ]
              }
            ]
          })
        )
        expect400(error, "messages[1].content[0]")
      })
    )

    it.effect("n > 1 → 400 on n", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        expect400(yield* failure(engine, request({ n: 2 })), "n")
      })
    )

    it.effect("unknown named tool_choice, orphan tool message, unanswered tool call → 400", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        const tool = {
          type: "function" as const,
          function: { name: "f", parameters: { type: "object", properties: {} } }
        }
        expect400(
          yield* failure(
            engine,
            request({ tools: [tool], tool_choice: { type: "function", function: { name: "g" } } })
          ),
          "tool_choice"
        )
        expect400(
          yield* failure(
            engine,
            request({
              messages: [
                { role: "user", content: "hi" },
                { role: "tool", tool_call_id: "x", content: "1" }
              ]
            })
          ),
          "messages[1]"
        )
        expect400(
          yield* failure(
            engine,
            request({
              messages: [
                { role: "user", content: "hi" },
                {
                  role: "assistant",
                  content: null,
                  tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }]
                }
              ]
            })
          ),
          "messages[1]"
        )
        expect400(yield* failure(engine, request({ max_tokens: 0 })), "max_tokens")
      })
    )

    it.effect("the sequence is still usable after rejected requests", () =>
      Effect.gen(function* () {
        const engine = yield* Engine.Engine
        expect(yield* engine.load).toEqual({ busy: 0, waiting: 0, size: 1 })
      })
    )
  }
)

describe("Engine load errors", () => {
  it.live("a missing model file → EngineLoadError NotFound naming the path", () =>
    Effect.gen(function* () {
      const path = Path.join(Os.tmpdir(), "parlance-no-such-model.gguf")
      const exit = yield* Effect.exit(Effect.scoped(Engine.make({ model: path, threads })))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = onlyFailure(exit)
      if (error !== undefined) {
        expect(error._tag).toBe("EngineLoadError")
        expect(error.reason).toBe("NotFound")
        expect(error.message).toContain(path)
      } else expect.fail("expected a typed failure")
    })
  )

  it.live("a file that is not a GGUF → EngineLoadError Load naming the path", () =>
    Effect.gen(function* () {
      const path = Path.join(Os.tmpdir(), `parlance-garbage-${process.pid}.gguf`)
      Fs.writeFileSync(path, "this is not a gguf file at all")
      const exit = yield* Effect.exit(Effect.scoped(Engine.make({ model: path, threads })))
      Fs.rmSync(path, { force: true })
      const error = onlyFailure(exit)
      if (error !== undefined) {
        expect(error.reason).toBe("Load")
        expect(error.path).toBe(path)
        expect(error.message).toContain(path)
      } else expect.fail("expected a typed failure")
    })
  )
})
