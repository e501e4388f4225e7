/**
 * The OpenAI error envelope, and the mapping of a schema decode failure to it with the offending `param` path.
 * @since 0.1.0
 */
import * as Formatter from "effect/Formatter"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as SchemaIssue from "effect/SchemaIssue"

/** @category schemas */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.NullOr(Schema.String),
    code: Schema.NullOr(Schema.String)
  })
}).annotate({ identifier: "ErrorBody" })
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

/** One leaf of a decode failure: where (`["input", 2, "type"]`) and what, in words. */
export interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The literals a union member's field accepts (`type: "input_text"`, an optional `type: "message"`), if only literals. */
const literalsOf = (ast: SchemaAST.AST): ReadonlyArray<unknown> | undefined => {
  if (SchemaAST.isLiteral(ast)) return [ast.literal]
  if (!SchemaAST.isUnion(ast)) return undefined
  const out: Array<unknown> = []
  for (const member of ast.types) {
    if (member._tag === "Undefined") continue
    if (!SchemaAST.isLiteral(member)) return undefined
    out.push(member.literal)
  }
  return out
}

/**
 * A union of objects that no member matched by its discriminator (`{ type: "input_video" }` among content parts):
 * Schema v4 reports it on the object as a whole, or as the failure of whichever member it tried; OpenAI (and
 * clients) name the discriminator, `…content[0].type`, with every value it may take. When the parse reported its
 * input (`{ reportInput: true }`), a value that is no object at all keeps the object's path, a discriminator
 * that is valid defers to the members' issues, and the message quotes what was sent.
 */
const discriminatorIssue = (issue: SchemaIssue.AnyOf, path: ReadonlyArray<PropertyKey>): Issue | undefined => {
  const reported = SchemaIssue.hasInput(issue)
  const input = reported ? issue.input : undefined
  if (reported && (input === null || typeof input !== "object" || Array.isArray(input))) return undefined
  const members = issue.ast.types.filter(SchemaAST.isObjects)
  const first = members[0]
  if (first === undefined) return undefined
  for (const ps of first.propertySignatures) {
    const accepted: Array<unknown> = []
    const everyMember = members.every((member) => {
      const field = member.propertySignatures.find((other) => other.name === ps.name)
      const literals = field && literalsOf(field.type)
      if (literals) accepted.push(...literals)
      return literals !== undefined
    })
    if (!everyMember) continue
    const value = reported ? (input as Record<PropertyKey, unknown>)[ps.name] : undefined
    if (reported && accepted.includes(value)) return undefined
    const expected = `Expected ${accepted.map((literal) => Formatter.format(literal)).join(" | ")}`
    const got = reported ? `, got ${Formatter.format(value)}` : ""
    return { path: [...path, ps.name], message: expected + got }
  }
  return undefined
}

const collect = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, out: Array<Issue>): void => {
  switch (issue._tag) {
    case "Pointer":
      return collect(issue.issue, [...path, ...issue.path], out)
    case "Composite":
      for (const inner of issue.issues) collect(inner, path, out)
      return
    case "AnyOf": {
      const named =
        issue.issues.length === 0 || SchemaIssue.hasInput(issue) ? discriminatorIssue(issue, path) : undefined
      if (named) {
        out.push(named)
        return
      }
      if (issue.issues.length > 0) {
        for (const inner of issue.issues) collect(inner, path, out)
        return
      }
    }
  }
  for (const leaf of formatter(issue).issues) {
    const at = (leaf.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
    out.push({ path: [...path, ...at], message: issue._tag === "MissingKey" ? "is missing" : leaf.message })
  }
}

/**
 * Every leaf of a decode failure (a `Schema.SchemaError`, or its `issue`), in order: what Schema v4's Standard
 * Schema formatter reports, except that a union no member matched names its discriminator field.
 */
export const issues = (error: Schema.SchemaError | SchemaIssue.Issue): ReadonlyArray<Issue> => {
  const out: Array<Issue> = []
  collect(Schema.isSchemaError(error) ? error.issue : error, [], out)
  return out
}

/**
 * The most specific issue of a decode failure: union failures report every member, and the issue with the
 * longest path is the one that names what is wrong.
 */
export const deepestIssue = (error: Schema.SchemaError | SchemaIssue.Issue): Issue | undefined => {
  const all = issues(error)
  return all.reduce((a, b) => (b.path.length > a.path.length ? b : a), all[0])
}

/** A decode failure as an OpenAI 400 body naming its deepest issue. */
export const fromParseError = (error: Schema.SchemaError | SchemaIssue.Issue): ErrorBody => {
  const best = deepestIssue(error)
  const param = best ? formatParam(best.path) : null
  const message = best
    ? `Invalid value${param ? ` for '${param}'` : ""}: ${best.message.replace(/\s+/g, " ")}`
    : "Invalid request body"
  return errorBody(message, { param, code: "invalid_value" })
}
