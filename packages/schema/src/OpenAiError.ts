/**
 * The OpenAI error envelope, and the mapping of a schema decode failure to it with the offending `param` path.
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** @category schemas */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.NullOr(Schema.String),
    code: Schema.NullOr(Schema.String)
  })
}).annotations({ identifier: "ErrorBody" })
export type ErrorBody = typeof ErrorBody.Type

/** @category constructors */
export const errorBody = (
  message: string,
  options: { readonly type?: string; readonly param?: string | null; readonly code?: string | null } = {}
): ErrorBody => ({
  error: {
    message,
    type: options.type ?? "invalid_request_error",
    param: options.param ?? null,
    code: options.code ?? null
  }
})

/** `["input", 2, "content", 0, "type"]` → `input[2].content[0].type` (OpenAI's `param` notation). */
export const formatParam = (path: ReadonlyArray<PropertyKey>): string | null => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else out += out === "" ? String(key) : `.${String(key)}`
  }
  return out === "" ? null : out
}

/**
 * The most specific issue of a decode failure: union failures report every member, and the issue with the
 * longest path is the one that names what is wrong.
 */
export const deepestIssue = (error: ParseResult.ParseError): ParseResult.ArrayFormatterIssue | undefined => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issues.reduce((a, b) => (b.path.length > a.path.length ? b : a), issues[0])
}

/** A decode failure as an OpenAI 400 body naming its deepest issue. */
export const fromParseError = (error: ParseResult.ParseError): ErrorBody => {
  const best = deepestIssue(error)
  const param = best ? formatParam(best.path) : null
  const message = best
    ? `Invalid value${param ? ` for '${param}'` : ""}: ${best.message.replace(/\s+/g, " ")}`
    : "Invalid request body"
  return errorBody(message, { param, code: "invalid_value" })
}
