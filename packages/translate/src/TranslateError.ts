/**
 * Typed translation errors. Each carries the OpenAI `param` it is about, so the HTTP edge can answer 400.
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/** The caller asked for something Parlance cannot honour (a 400 at the edge). @category errors */
export class UnsupportedFeature extends Data.TaggedError("UnsupportedFeature")<{
  readonly param: string
  readonly message: string
  readonly code?: string
}> {}

/** The caller sent something inconsistent (unknown item reference, tool output for no call…). @category errors */
export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{
  readonly param: string
  readonly message: string
  readonly code?: string
}> {}

export type TranslateError = UnsupportedFeature | InvalidRequest
