/**
 * The runner's proof that its backend works: a real one-token decode. node-llama-cpp's own start-up check loads
 * the backend and lists devices but runs no kernel, so a CUDA binary the driver cannot run passes it and aborts
 * on the first request (measured on an H200 with an R580 driver). A decode runs the kernels; if the process
 * dies here, that is the answer (the server sees the death, not a message).
 */
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import * as Effect from "effect/Effect"
import * as Source from "@parlance/schema/Source"
import * as Stream from "effect/Stream"
import type { EngineBackend } from "../internal/engine.js"

export type Probe =
  | { readonly _tag: "Proven"; readonly ms: number }
  | { readonly _tag: "Failed"; readonly message: string }

export const probe = async (engine: EngineBackend): Promise<Probe> => {
  const request: ChatCompletionRequest = {
    model: engine.info.modelName,
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 1,
    temperature: 0
  }
  const t0 = performance.now()
  const result = await Effect.runPromise(Effect.result(Stream.runDrain(Source.stream(engine, request))))
  return result._tag === "Success"
    ? { _tag: "Proven", ms: performance.now() - t0 }
    : { _tag: "Failed", message: result.failure.message }
}
