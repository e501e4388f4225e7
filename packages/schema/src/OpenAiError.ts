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

/**
 * The values a union member's field accepts (`type: "input_text"`; an optional `type: "message"` also accepts
 * `undefined`), if they are only literals.
 */
const literalsOf = (ast: SchemaAST.AST): ReadonlyArray<unknown> | undefined => {
  const optional = SchemaAST.isOptional(ast) ? [undefined] : []
  if (SchemaAST.isLiteral(ast)) return [ast.literal, ...optional]
  if (!SchemaAST.isUnion(ast)) return undefined
  const out: Array<unknown> = optional
  for (const member of ast.types) {
    if (member._tag === "Undefined") {
      out.push(undefined)
      continue
    }
    if (!SchemaAST.isLiteral(member)) return undefined
    out.push(member.literal)
  }
  return out
}

/**
 * A union of objects tells its members apart by a discriminator field (`type`). When the value sent is one no
 * member takes (`{ type: "input_video" }` among content parts), Schema v4 reports the object as a whole, or the
 * failure of whichever member it tried; OpenAI (and clients) name the discriminator, `…content[0].type`, with
 * every value it may take: `named`. When the value is one a member takes, the fault is inside that member:
 * `defer` to the members' issues, leaving out the other members' complaints about the discriminator itself.
 * A value that is no object at all keeps the object's path (undefined). Without a reported input (`reportInput`)
 * the value is unknown, and the discriminator is named.
 */
const discriminatorOf = (
  issue: SchemaIssue.AnyOf,
  path: ReadonlyArray<PropertyKey>
): { readonly named: Issue } | { readonly defer: PropertyKey; readonly value: unknown } | undefined => {
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
    if (reported && accepted.includes(value)) return { defer: ps.name, value }
    const named = accepted.filter((literal) => literal !== undefined)
    const expected = `Expected ${named.map((literal) => Formatter.format(literal)).join(" | ")}`
    const got = reported ? `, got ${Formatter.format(value)}` : ""
    return { named: { path: [...path, ps.name], message: expected + got } }
  }
  return undefined
}

/** Whether a union member's failure is of a member whose discriminator takes the value sent. */
const picks = (member: SchemaIssue.Issue, found: { readonly defer: PropertyKey; readonly value: unknown }) => {
  const ast = "ast" in member ? member.ast : undefined
  if (ast === undefined || !SchemaAST.isObjects(ast)) return true
  const field = ast.propertySignatures.find((ps) => ps.name === found.defer)
  const literals = field && literalsOf(field.type)
  return literals === undefined || literals.includes(found.value)
}

const samePath = (a: ReadonlyArray<PropertyKey>, b: ReadonlyArray<PropertyKey>) =>
  a.length === b.length && a.every((segment, i) => segment === b[i])

/** `Expected string | undefined` → `Expected string`: an absent field is never what a client got wrong. */
const withoutUndefined = (message: string) => message.replace(/ \| undefined(?=,|$)/, "")

const collect = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, out: Array<Issue>): void => {
  switch (issue._tag) {
    case "Pointer":
      return collect(issue.issue, [...path, ...issue.path], out)
    case "Composite":
      for (const inner of issue.issues) collect(inner, path, out)
      return
    case "AnyOf": {
      const found = issue.issues.length === 0 || SchemaIssue.hasInput(issue) ? discriminatorOf(issue, path) : undefined
      if (found !== undefined && "named" in found) {
        out.push(found.named)
        return
      }
      if (issue.issues.length > 0) {
        // Only the members the discriminator picks; and never a complaint about the discriminator itself.
        const picked = found === undefined ? issue.issues : issue.issues.filter((member) => picks(member, found))
        const inner: Array<Issue> = []
        for (const member of picked.length > 0 ? picked : issue.issues) collect(member, path, inner)
        const field = found === undefined ? undefined : [...path, found.defer]
        const relevant = field === undefined ? inner : inner.filter((leaf) => !samePath(leaf.path, field))
        out.push(...(relevant.length > 0 ? relevant : inner))
        return
      }
    }
  }
  for (const leaf of formatter(issue).issues) {
    const at = (leaf.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
    const message = issue._tag === "MissingKey" ? "is missing" : withoutUndefined(leaf.message)
    out.push({ path: [...path, ...at], message })
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
