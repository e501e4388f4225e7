/**
 * JSON Schema → GBNF, so that a structured answer is valid for its schema by construction. The grammar
 * generates a subset of the schema's instances: declared properties only, in declared order (required
 * ones always, optional ones maybe); integers without fraction or exponent and numbers of bounded digits
 * (never Infinity); lengths counted in code points like a validator does. A keyword that asserts
 * something the grammar cannot enforce is refused with its path; annotations and keywords outside the
 * JSON Schema vocabulary are ignored (they assert nothing).
 */
import * as Result from "effect/Result"
import { BASE_RULES, literal, MAX_UINT, numberRange } from "./gbnf.js"
import { FORMATS, OCTET } from "./jsonFormats.js"
import {
  canonical,
  isObject,
  type JsonType,
  overlaps,
  type Signature,
  TYPES,
  typeOfValue
} from "./jsonSchemaOverlap.js"
import { patternGrammar } from "./regexGrammar.js"

/** Why a schema cannot be enforced: the keyword and where it is (`["properties", "n", "pattern"]`). */
export interface SchemaIssue {
  readonly path: ReadonlyArray<string | number>
  readonly keyword: string
  readonly message: string
}

/** `base` + the issue's path, as a request param (`response_format.json_schema.schema.properties.n.pattern`). */
export const issueParam = (base: string, issue: SchemaIssue): string =>
  issue.path.reduce<string>((param, key) => (typeof key === "number" ? `${param}[${key}]` : `${param}.${key}`), base)

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type SchemaObject = { readonly [key: string]: unknown }
type Path = ReadonlyArray<string | number>

/** Keywords of each instance type: a schema without `type` generates the types its keywords constrain. */
const FAMILY: Readonly<Record<string, JsonType>> = {
  properties: "object",
  required: "object",
  additionalProperties: "object",
  minProperties: "object",
  maxProperties: "object",
  items: "array",
  prefixItems: "array",
  minItems: "array",
  maxItems: "array",
  uniqueItems: "array",
  minLength: "string",
  maxLength: "string",
  pattern: "string",
  format: "string",
  minimum: "number",
  maximum: "number",
  exclusiveMinimum: "number",
  exclusiveMaximum: "number",
  multipleOf: "number"
}

/** JSON Schema keywords that assert and that this compiler never enforces. */
const UNSUPPORTED = new Set([
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "dependentRequired",
  "dependencies",
  "patternProperties",
  "propertyNames",
  "contains",
  "minContains",
  "maxContains",
  "additionalItems",
  "unevaluatedItems",
  "$dynamicRef",
  "$recursiveRef"
])

// Everything else (title, description, default, $defs, $schema, unevaluatedProperties — only declared
// properties are generated, and those are evaluated —, vendor keywords) asserts nothing here and is ignored.

const KNOWN = new Set([
  ...UNSUPPORTED,
  ...Object.keys(FAMILY),
  "type",
  "enum",
  "const",
  "$ref",
  "anyOf",
  "oneOf",
  "allOf"
])
const isAsserting = (key: string): boolean => KNOWN.has(key)

/** The most items or characters a bounded repetition gets in a grammar (llama.cpp expands repetitions). */
const MAX_REPEAT = 4096

class Issue {
  constructor(readonly issue: SchemaIssue) {}
}

const fail = (path: Path, keyword: string, message: string): never => {
  throw new Issue({ path: [...path, keyword], keyword, message })
}

/** An issue with the schema at `path` itself (`false`, not a schema). */
const failAt = (path: Path, message: string): never => {
  throw new Issue({ path, keyword: String(path.at(-1) ?? "schema"), message })
}

const family = (key: string): JsonType | undefined => (Object.hasOwn(FAMILY, key) ? FAMILY[key] : undefined)

export interface CompiledGrammar {
  /** The GBNF text; its root is the JSON value followed by the end marker. */
  readonly grammar: string
}

/**
 * The end of every grammar: the value, then four newlines (node-llama-cpp's own JSON grammars end this
 * way; the newlines are a stop trigger and trimmed).
 */
export const END_MARKER = "\n\n\n\n"

const pointerSegment = (segment: string, path: Path): string => {
  try {
    return decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~")
  } catch {
    return fail(path, "$ref", `Malformed reference segment '${segment}'.`)
  }
}

class Compiler {
  private readonly rules = new Map<string, string>(BASE_RULES)
  private readonly byBody = new Map<string, string>()
  private readonly refs = new Map<string, string>()
  private counter = 0

  constructor(private readonly root: unknown) {}

  rule(hint: string, body: string): string {
    const known = this.byBody.get(body)
    if (known !== undefined) return known
    const name = `${
      hint
        .replace(/[^a-zA-Z0-9]+/g, "-")
        .replace(/^-|-$/g, "")
        .slice(0, 24) || "r"
    }-${this.counter++}`
    this.rules.set(name, body)
    this.byBody.set(body, name)
    return name
  }

  text(rootExpr: string): string {
    const lines = [`root ::= ${rootExpr} ${literal(END_MARKER)} [\\n]*`]
    for (const [name, body] of this.rules) lines.push(`${name} ::= ${body}`)
    return lines.join("\n")
  }

  resolve(ref: string, path: Path): readonly [unknown, Path] {
    if (ref !== "#" && !ref.startsWith("#/"))
      return fail(path, "$ref", `Only local JSON pointer references (#/$defs/name) are supported, got '${ref}'.`)
    let target: unknown = this.root
    const segments =
      ref === "#"
        ? []
        : ref
            .slice(2)
            .split("/")
            .map((s) => pointerSegment(s, path))
    for (const segment of segments) {
      target = Array.isArray(target) ? target[Number(segment)] : isObject(target) ? target[segment] : undefined
      if (target === undefined) return fail(path, "$ref", `The reference '${ref}' points to nothing.`)
    }
    return [target, segments]
  }

  compile(schema: unknown, path: Path, refChain: ReadonlySet<string> = new Set()): string {
    if (schema === true) return "value"
    if (schema === false) return failAt(path, "The schema `false` accepts no value.")
    if (!isObject(schema)) return failAt(path, "A schema must be an object or a boolean.")
    const asserting = Object.keys(schema).filter(isAsserting)
    for (const key of asserting)
      if (UNSUPPORTED.has(key)) fail(path, key, `The keyword '${key}' cannot be enforced by this engine's grammar.`)

    const alone = (keyword: string): void => {
      const others = asserting.filter((k) => k !== keyword)
      if (others.length > 0)
        fail(
          path,
          others[0],
          `'${others[0]}' next to '${keyword}' cannot be enforced; move it into the ${keyword === "$ref" ? "referenced schema" : `'${keyword}' branches`}.`
        )
    }

    if (schema.$ref !== undefined) {
      if (typeof schema.$ref !== "string") return fail(path, "$ref", "'$ref' must be a string.")
      alone("$ref")
      const ref = schema.$ref
      const known = this.refs.get(ref)
      if (known !== undefined) return known
      if (refChain.has(ref))
        return fail(path, "$ref", `The reference '${ref}' refers to itself without consuming input.`)
      const [target, targetPath] = this.resolve(ref, path)
      // A reference that is only another reference is followed (cycles of those are refused); anything
      // else gets a named rule first, so recursive schemas become recursive rules.
      if (isObject(target) && typeof target.$ref === "string")
        return this.compile(target, targetPath, new Set([...refChain, ref]))
      const name = `ref-${this.counter++}`
      this.refs.set(ref, name)
      this.rules.set(name, this.compile(target, targetPath))
      return name
    }
    if (schema.allOf !== undefined) {
      if (!Array.isArray(schema.allOf) || schema.allOf.length !== 1)
        return fail(path, "allOf", "'allOf' is only supported with exactly one schema.")
      alone("allOf")
      return this.compile(schema.allOf[0], [...path, "allOf", 0], refChain)
    }
    for (const keyword of ["anyOf", "oneOf"] as const) {
      const branches = schema[keyword]
      if (branches === undefined) continue
      if (!Array.isArray(branches) || branches.length === 0)
        return fail(path, keyword, `'${keyword}' must be a non-empty array of schemas.`)
      alone(keyword)
      if (keyword === "oneOf") {
        const signatures = branches.map((b) => this.signature(b, path))
        for (let i = 0; i < signatures.length; i++)
          for (let j = i + 1; j < signatures.length; j++)
            if (overlaps(signatures[i], signatures[j]))
              fail(
                path,
                keyword,
                `'oneOf' branches ${i} and ${j} may both match a value, which 'oneOf' forbids; use 'anyOf' or branches of distinct types or constants.`
              )
      }
      const options = branches.map((b, i) => this.compile(b, [...path, keyword, i], refChain))
      return this.rule(keyword, options.join(" | "))
    }
    if (schema.const !== undefined || schema.enum !== undefined) return this.literals(schema, path)

    const declared = schema.type
    let types: ReadonlyArray<JsonType>
    if (declared === undefined) {
      const families = new Set(Object.keys(schema).flatMap((k) => family(k) ?? []))
      if (families.size === 0) return "value"
      types = TYPES.filter((t) => families.has(t))
    } else {
      const list = Array.isArray(declared) ? declared : [declared]
      for (const t of list)
        if (typeof t !== "string" || !TYPES.includes(t as JsonType))
          return fail(path, "type", `Unknown type ${JSON.stringify(t)}.`)
      types = TYPES.filter((t) => list.includes(t))
      // An integer is also a number: generating both would only add ambiguity.
      if (types.includes("integer") && types.includes("number")) types = types.filter((t) => t !== "integer")
      if (types.length === 0) return fail(path, "type", "'type' must name at least one type.")
    }
    const options = types.map((t) => this.typed(t, schema, path))
    return options.length === 1 ? options[0] : this.rule("types", options.join(" | "))
  }

  private literals(schema: SchemaObject, path: Path): string {
    const keyword = schema.const !== undefined ? "const" : "enum"
    const values: ReadonlyArray<unknown> =
      keyword === "const"
        ? [schema.const]
        : Array.isArray(schema.enum)
          ? schema.enum
          : fail(path, "enum", "'enum' must be an array.")
    const others = Object.keys(schema).filter((k) => isAsserting(k) && k !== "type" && k !== "const" && k !== "enum")
    if (others.length > 0)
      fail(path, others[0], `'${others[0]}' next to '${keyword}' cannot be enforced; list only the allowed values.`)
    if (keyword === "const" && schema.enum !== undefined)
      fail(path, "enum", "'enum' next to 'const' cannot be enforced; use one of them.")
    const declared = schema.type === undefined ? undefined : Array.isArray(schema.type) ? schema.type : [schema.type]
    const allowed = values.filter((v) => declared === undefined || typeOfValue(v).some((t) => declared.includes(t)))
    if (allowed.length === 0) return fail(path, keyword, `No value of '${keyword}' is allowed by the schema.`)
    return this.rule(keyword, allowed.map((v) => literal(JSON.stringify(v as Json))).join(" | "))
  }

  private signature(schema: unknown, path: Path, depth = 0): Signature {
    if (!isObject(schema) || depth > 16) return { _tag: "Any" }
    if (typeof schema.$ref === "string") return this.signature(this.resolve(schema.$ref, path)[0], path, depth + 1)
    if (schema.const !== undefined) return { _tag: "Literals", values: [schema.const] }
    if (Array.isArray(schema.enum)) return { _tag: "Literals", values: schema.enum }
    if (schema.anyOf !== undefined || schema.oneOf !== undefined || schema.allOf !== undefined) return { _tag: "Any" }
    const declared =
      schema.type === undefined
        ? Object.keys(schema).flatMap((k) => family(k) ?? [])
        : Array.isArray(schema.type)
          ? schema.type
          : [schema.type]
    if (declared.length === 0) return { _tag: "Any" }
    const tags = new Map<string, ReadonlySet<string>>()
    const required = Array.isArray(schema.required) ? schema.required : []
    if (isObject(schema.properties))
      for (const key of required) {
        const prop = (schema.properties as SchemaObject)[key]
        const sig = this.signature(prop, path, depth + 1)
        if (sig._tag === "Literals") tags.set(key, new Set(sig.values.map(canonical)))
      }
    return { _tag: "Types", types: new Set(declared as ReadonlyArray<JsonType>), tags }
  }

  private typed(type: JsonType, schema: SchemaObject, path: Path): string {
    switch (type) {
      case "null":
      case "boolean":
        return type
      case "integer":
      case "number":
        return this.number(type, schema, path)
      case "string":
        return this.string(schema, path)
      case "array":
        return this.array(schema, path)
      case "object":
        return this.object(schema, path)
    }
  }

  private number(type: "integer" | "number", schema: SchemaObject, path: Path): string {
    const read = (key: string): number | undefined => {
      const v = schema[key]
      if (v === undefined) return undefined
      if (typeof v !== "number" || !Number.isFinite(v)) return fail(path, key, `'${key}' must be a number.`)
      return v
    }
    const multipleOf = read("multipleOf")
    if (multipleOf !== undefined && !(type === "integer" && Number.isInteger(multipleOf) && multipleOf === 1))
      fail(path, "multipleOf", "'multipleOf' cannot be enforced by this engine's grammar.")
    const bounds = [read("minimum"), read("exclusiveMinimum"), read("maximum"), read("exclusiveMaximum")]
    if (bounds.every((b) => b === undefined)) return type
    const [min, exMin, max, exMax] = bounds
    // Integer bounds, rounded inward: every generated value is inside the declared range.
    const lo = Math.max(
      -MAX_UINT,
      min === undefined ? -Infinity : Math.ceil(min),
      exMin === undefined ? -Infinity : Math.floor(exMin) + 1
    )
    const hi = Math.min(
      MAX_UINT,
      max === undefined ? Infinity : Math.floor(max),
      exMax === undefined ? Infinity : Math.ceil(exMax) - 1
    )
    const expr = lo <= hi ? numberRange(lo, hi, type === "number") : undefined
    if (expr === undefined)
      return fail(
        path,
        min !== undefined || exMin !== undefined ? "minimum" : "maximum",
        `No ${type} fits the bounds this engine can generate (integers from ${lo} to ${hi}).`
      )
    return this.rule(`${type}-range`, expr)
  }

  private count(
    schema: SchemaObject,
    path: Path,
    minKey: string,
    maxKey: string
  ): readonly [number, number | undefined] {
    const read = (key: string): number | undefined => {
      const v = schema[key]
      if (v === undefined) return undefined
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
        return fail(path, key, `'${key}' must be a non-negative integer.`)
      if (v > MAX_REPEAT)
        return fail(path, key, `'${key}' above ${MAX_REPEAT} cannot be enforced by this engine's grammar.`)
      return v
    }
    const min = read(minKey) ?? 0
    const max = read(maxKey)
    if (max !== undefined && max < min) fail(path, maxKey, `'${maxKey}' is below '${minKey}': no value fits.`)
    return [min, max]
  }

  private string(schema: SchemaObject, path: Path): string {
    const [min, max] = this.count(schema, path, "minLength", "maxLength")
    const lengths = schema.minLength !== undefined || schema.maxLength !== undefined
    if (schema.format !== undefined) {
      const format =
        typeof schema.format === "string" && Object.hasOwn(FORMATS, schema.format) ? FORMATS[schema.format] : undefined
      if (format === undefined)
        return fail(
          path,
          "format",
          `The format ${JSON.stringify(schema.format)} cannot be enforced; supported: ${Object.keys(FORMATS).join(", ")}.`
        )
      if (lengths || schema.pattern !== undefined)
        fail(path, lengths ? "maxLength" : "pattern", "Lengths or a pattern next to 'format' cannot be enforced.")
      if (schema.format === "ipv4") this.rules.set("octet", OCTET)
      return this.rule(`format-${schema.format}`, `"\\"" ${format} "\\""`)
    }
    if (schema.pattern !== undefined) {
      if (typeof schema.pattern !== "string") return fail(path, "pattern", "'pattern' must be a string.")
      if (lengths)
        fail(
          path,
          schema.maxLength !== undefined ? "maxLength" : "minLength",
          "Lengths next to 'pattern' cannot be enforced; put the length in the pattern."
        )
      const contents = patternGrammar(schema.pattern)
      if (Result.isFailure(contents))
        return fail(path, "pattern", `The pattern cannot be enforced: it uses ${contents.failure}.`)
      return this.rule("pattern", `"\\"" ${contents.success} "\\""`)
    }
    if (!lengths) return "string"
    return this.rule("string", `"\\"" char{${min},${max ?? ""}} "\\""`)
  }

  private array(schema: SchemaObject, path: Path): string {
    const [min, maxItems] = this.count(schema, path, "minItems", "maxItems")
    if (Array.isArray(schema.items))
      return fail(path, "items", "'items' as an array (a tuple) is not supported; use 'prefixItems'.")
    const prefixSchemas =
      schema.prefixItems === undefined
        ? []
        : Array.isArray(schema.prefixItems)
          ? schema.prefixItems
          : fail(path, "prefixItems", "'prefixItems' must be an array.")
    const prefix = prefixSchemas.map((s, i) => this.compile(s, [...path, "prefixItems", i]))
    // Past the prefix: `items` (absent = any value); `items: false` ends the array there.
    const rest = schema.items === false ? undefined : this.compile(schema.items ?? true, [...path, "items"])
    const max = rest === undefined ? Math.min(maxItems ?? prefix.length, prefix.length) : maxItems
    if (min > (max ?? Infinity)) return fail(path, "minItems", "'minItems' exceeds the items the schema allows.")
    if (schema.uniqueItems === true && (max ?? Infinity) > 1)
      fail(path, "uniqueItems", "'uniqueItems' cannot be enforced by this engine's grammar (unless maxItems ≤ 1).")
    const sep = 'ws "," ws'
    const item = (i: number): string => (i < prefix.length ? prefix[i] : rest!)
    // Items from index i on, i of them already written (each after the first preceded by a comma).
    const tail = (i: number): string => {
      if (max !== undefined && i >= max) return ""
      const lead = i === 0 ? "" : `${sep} `
      if (i < prefix.length) {
        const next = tail(i + 1)
        const body = `${lead}${item(i)}${next === "" ? "" : " " + next}`
        return i < min ? body : `( ${body} )?`
      }
      if (rest === undefined) return ""
      const required = Math.max(0, min - i)
      const optional = max === undefined ? undefined : max - i - required
      const parts: Array<string> = []
      if (required > 0) parts.push(i === 0 ? rest : `${sep} ${rest}`)
      if (required > 1) parts.push(`( ${sep} ${rest} ){${required - 1}}`)
      if (optional === undefined || optional > 0) {
        const more = (n: number | undefined) =>
          n === undefined ? `( ${sep} ${rest} )*` : n > 0 ? `( ${sep} ${rest} ){0,${n}}` : ""
        if (i + required === 0) {
          const inner = more(optional === undefined ? undefined : optional - 1)
          parts.push(`( ${rest}${inner === "" ? "" : " " + inner} )?`)
        } else parts.push(more(optional))
      }
      return parts.join(" ")
    }
    const body = tail(0)
    return this.rule("array", `"[" ws ${body === "" ? "" : body + " "}ws "]"`)
  }

  private object(schema: SchemaObject, path: Path): string {
    if (schema.properties !== undefined && !isObject(schema.properties))
      return fail(path, "properties", "'properties' must be an object.")
    const properties = (schema.properties ?? {}) as SchemaObject
    const required =
      schema.required === undefined
        ? []
        : Array.isArray(schema.required) && schema.required.every((r) => typeof r === "string")
          ? (schema.required as ReadonlyArray<string>)
          : fail(path, "required", "'required' must be an array of strings.")
    const additional = schema.additionalProperties
    const requiredSet = new Set(required)
    const entries: Array<readonly [string, string, boolean]> = Object.keys(properties).map((key) => [
      key,
      this.compile(properties[key], [...path, "properties", key]),
      requiredSet.has(key)
    ])
    for (const key of requiredSet) {
      if (key in properties) continue
      if (additional === false)
        fail(path, "required", `'${key}' is required but not in 'properties', and 'additionalProperties' is false.`)
      entries.push([key, this.compile(additional ?? true, [...path, "additionalProperties"]), true])
    }
    const [minProps, maxProps] = this.count(schema, path, "minProperties", "maxProperties")
    const mapValue =
      entries.length === 0 && isObject(additional)
        ? this.compile(additional, [...path, "additionalProperties"])
        : undefined
    if (mapValue !== undefined) {
      // A map: any keys, values of `additionalProperties`.
      const pair = `string ws ":" ws ${mapValue}`
      if (minProps > 0 || maxProps !== undefined)
        fail(path, minProps > 0 ? "minProperties" : "maxProperties", "Property counts on a map cannot be enforced.")
      return this.rule("map", `"{" ws ( ${pair} ( ws "," ws ${pair} )* )? ws "}"`)
    }
    if (minProps > requiredSet.size)
      fail(path, "minProperties", "'minProperties' above the number of required properties cannot be enforced.")
    if (maxProps !== undefined && maxProps < entries.length)
      fail(path, "maxProperties", "'maxProperties' below the number of properties cannot be enforced.")
    // Declared order; two rules per position: nothing written yet (no comma) or something written.
    let first = ""
    let rest = ""
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, value, isRequired] = entries[i]
      const pair = `${literal(JSON.stringify(key))} ws ":" ws ${value}`
      const restAfter = rest === "" ? "" : " " + rest
      const nextFirst = isRequired
        ? `${pair}${restAfter}`
        : first === ""
          ? `( ${pair}${restAfter} )?`
          : `( ${pair}${restAfter} | ${first} )`
      const nextRest = isRequired ? `ws "," ws ${pair}${restAfter}` : `( ws "," ws ${pair} )?${restAfter}`
      first = this.rule("props", nextFirst)
      rest = this.rule("props-rest", nextRest)
    }
    return this.rule("object", `"{" ws ${first === "" ? "" : first + " "}ws "}"`)
  }
}

/** The grammar for answers valid for `schema`, or the first keyword it cannot enforce. */
export const compileJsonSchema = (schema: unknown): Result.Result<CompiledGrammar, SchemaIssue> => {
  const compiler = new Compiler(schema)
  try {
    return Result.succeed({ grammar: compiler.text(compiler.compile(schema, [])) })
  } catch (cause) {
    if (cause instanceof Issue) return Result.fail(cause.issue)
    throw cause
  }
}

/** `json_object`: any JSON object, with bounded numbers. */
export const JSON_OBJECT_GRAMMAR: string = new Compiler({}).text("object")
