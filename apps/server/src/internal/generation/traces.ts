/**
 * A generation's span (only with `--otlp-endpoint`: `ServerConfig.tracing`), named and attributed after
 * OpenTelemetry's GenAI semantic conventions (`chat <model>`, `gen_ai.*`), with Parlance's own beside them
 * (`parlance.*`): the backend that served, the time to first token. The backend attempts (a router's) and the
 * store writes are its children. Ended when the generation closes, in error when the response failed.
 */
import type { ResponseObject } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Tracer from "effect/Tracer"
import type { Prepared } from "../inputs/prepare.js"

const nanos = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n

/** The span, a child of the HTTP request's (which a client's `traceparent` may parent). */
export const generationSpan = (prepared: Prepared, responseId: string): Effect.Effect<Tracer.Span> =>
  Effect.makeSpan(`chat ${prepared.model}`, {
    kind: "internal",
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": prepared.model,
      "gen_ai.response.id": responseId,
      "parlance.stream": prepared.request.stream === true,
      ...(prepared.request.max_output_tokens != null
        ? { "gen_ai.request.max_tokens": prepared.request.max_output_tokens }
        : {})
    }
  })

/** A `/v1/chat/completions` request's span: the same name and GenAI attributes as a response's. */
export const chatSpan = (
  model: string,
  id: string,
  request: { readonly stream?: boolean | null | undefined; readonly max_tokens?: number | null | undefined }
): Effect.Effect<Tracer.Span> =>
  Effect.makeSpan(`chat ${model}`, {
    kind: "internal",
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": model,
      "gen_ai.response.id": id,
      "parlance.stream": request.stream === true,
      ...(request.max_tokens != null ? { "gen_ai.request.max_tokens": request.max_tokens } : {})
    }
  })

/** What a chat completion ended with: its tokens, the model and finish reasons its chunks named, or its error code. */
export interface ChatOutcome {
  /** The id the chunks carried (an upstream's own), which is the one the client saw. */
  readonly id: string | undefined
  readonly input: number
  readonly output: number
  readonly cached: number
  readonly model: string | undefined
  readonly finishReasons: ReadonlyArray<string>
  readonly error: string | undefined
}

/** The chat completion's outcome on its span, which it ends (in error when it failed). */
export const endedChat = (span: Tracer.Span, outcome: ChatOutcome, now: number): void => {
  if (outcome.id !== undefined) span.attribute("gen_ai.response.id", outcome.id)
  if (outcome.model !== undefined) span.attribute("gen_ai.response.model", outcome.model)
  span.attribute("gen_ai.response.finish_reasons", [...outcome.finishReasons])
  span.attribute("gen_ai.usage.input_tokens", outcome.input)
  span.attribute("gen_ai.usage.output_tokens", outcome.output)
  span.attribute("gen_ai.usage.cache_read.input_tokens", outcome.cached)
  if (outcome.error !== undefined) span.attribute("error.type", outcome.error)
  close(span, now)
}

/** Opening the backend under the span; a failure before the first batch ends it in error. */
export const opening = <A, E>(span: Tracer.Span, open: Effect.Effect<A, E>, now: () => number): Effect.Effect<A, E> =>
  open.pipe(
    Effect.withParentSpan(span),
    Effect.onExit((exit) =>
      Exit.isSuccess(exit)
        ? Effect.void
        : Effect.sync(() => {
            span.attribute("error.type", errorType(exit))
            span.end(nanos(now()), exit)
          })
    )
  )

const errorType = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return ""
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  const body = (error as { error?: { body?: { error?: { code?: string } } } } | undefined)?.error?.body
  return body?.error?.code ?? "error"
}

export const opened = (span: Tracer.Span, ttftSeconds: number, servedBy: string | undefined): void => {
  span.attribute("gen_ai.server.time_to_first_token", ttftSeconds)
  if (servedBy !== undefined) span.attribute("parlance.backend", servedBy)
}

/** The final response's model, tokens and outcome. */
export const ended = (span: Tracer.Span, response: ResponseObject.Response): void => {
  span.attribute("gen_ai.response.model", response.model)
  span.attribute("parlance.response.status", response.status)
  span.attribute("gen_ai.response.finish_reasons", [
    response.status === "completed" ? "stop" : (response.incomplete_details?.reason ?? response.status)
  ])
  const usage = response.usage
  if (usage) {
    span.attribute("gen_ai.usage.input_tokens", usage.input_tokens)
    span.attribute("gen_ai.usage.output_tokens", usage.output_tokens)
    span.attribute("gen_ai.usage.cache_read.input_tokens", usage.input_tokens_details.cached_tokens)
  }
  if (response.status === "failed") span.attribute("error.type", response.error?.code ?? "failed")
}

/** Ends the span: in error when the response failed (its `error.type` says why). */
export const close = (span: Tracer.Span, now: number): void => {
  const failed = span.attributes.get("error.type")
  span.end(nanos(now), failed === undefined ? Exit.void : Exit.fail(failed))
}

/** Each store write as a child span. */
export const storeWrite =
  (span: Tracer.Span) =>
  <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.withSpan(write, "parlance.store.write", { parent: span, attributes: { "db.operation.name": "put" } })
