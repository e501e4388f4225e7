/**
 * Errors of the embedded engine that are not request errors (those are `BackendError`s from
 * `@parlance/schema/ChatBackend`, already classified the way OpenAI answers).
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * The model could not be resolved, downloaded or loaded. `path` is the model path or URI as given
 * (or as resolved, once it is known). `Memory`: node-llama-cpp's own check found too little RAM or VRAM for the
 * model or its context with these settings (a clear refusal, before llama.cpp could run out mid-load).
 * @category errors
 */
export class EngineLoadError extends Data.TaggedError("EngineLoadError")<{
  readonly reason: "NotFound" | "Download" | "Backend" | "Load" | "Memory"
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}
