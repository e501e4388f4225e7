import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as fc from "fast-check"
import { getLlama, type Llama, type LlamaGrammar } from "node-llama-cpp"
import { beforeAll } from "vitest"
import { compileJsonSchema, END_MARKER, issueParam, JSON_OBJECT_GRAMMAR } from "../src/internal/jsonSchemaGrammar.js"
import { makeValidator, schemaArbitrary } from "./schemas.js"

let llama: Llama
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never" })
})

const grammarFor = (schema: unknown): Promise<LlamaGrammar> =>
  llama.createGrammar({ grammar: Result.getOrThrow(compileJsonSchema(schema)).grammar })

// llama.cpp's own matcher (node-llama-cpp's internal `_testText`): does the grammar accept the whole text?
const accepts = (grammar: LlamaGrammar, json: string): boolean =>
  (grammar as unknown as { _testText: (text: string) => boolean })._testText(json + END_MARKER)

const issueOf = (schema: unknown) => {
  const result = compileJsonSchema(schema)
  if (Result.isSuccess(result)) throw new Error(`expected an issue for ${JSON.stringify(schema)}`)
  return result.failure
}

describe("integers and numbers", () => {
  it("an integer takes no exponent or fraction, and at most 15 digits", async () => {
    const g = await grammarFor({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] })
    for (const ok of ['{"n":15}', '{"n":-3}', '{"n":0}', '{ "n": 999999999999999 }'])
      expect(accepts(g, ok), ok).toBe(true)
    // The issue's outputs, and other ways to leave the integers or JSON's range.
    for (const bad of [
      '{"n":15E215971}',
      '{"n":1e3971541502159368}',
      '{"n":1.5}',
      '{"n":1.0}',
      '{"n":01}',
      '{"n":1000000000000000}',
      '{"n":"1"}',
      "{}"
    ])
      expect(accepts(g, bad), bad).toBe(false)
  })

  it("a number has bounded digits and exponent: never Infinity", async () => {
    const g = await grammarFor({ type: "number" })
    for (const ok of ["1.5", "-0.25", "1e10", "2.5E-99", "123456789012345.123456789012345e99"])
      expect(accepts(g, ok), ok).toBe(true)
    for (const bad of ["1e999", "1e308", "1.", ".5", "1e", "NaN", "Infinity", "1234567890123456"])
      expect(accepts(g, bad), bad).toBe(false)
  })

  it(
    "integer bounds: accepted exactly in [minimum, maximum]",
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: -2000, max: 2000 }),
          fc.integer({ min: 0, max: 3000 }),
          fc.array(fc.integer({ min: -6000, max: 6000 }), { minLength: 20, maxLength: 20 }),
          async (lo, width, probes) => {
            const g = await grammarFor({ type: "integer", minimum: lo, maximum: lo + width })
            for (const n of [...probes, lo, lo - 1, lo + width, lo + width + 1])
              expect(accepts(g, String(n)), `${n} in [${lo}, ${lo + width}]`).toBe(n >= lo && n <= lo + width)
          }
        ),
        { numRuns: 40, seed: 7 }
      ),
    120_000
  )

  it(
    "number bounds: every accepted decimal is inside the range",
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: -50, max: 50 }),
          fc.integer({ min: 0, max: 60 }),
          fc.array(fc.double({ min: -120, max: 120, noNaN: true }), { minLength: 20, maxLength: 20 }),
          async (lo, width, probes) => {
            const schema = { type: "number", minimum: lo - 0.5, exclusiveMaximum: lo + width + 0.25 }
            const g = await grammarFor(schema)
            let accepted = 0
            for (const x of [...probes, lo, lo + width, lo - 0.5]) {
              const text = String(Math.round(x * 100) / 100)
              if (!accepts(g, text)) continue
              accepted++
              expect(Number(text) >= schema.minimum && Number(text) < schema.exclusiveMaximum, text).toBe(true)
            }
            expect(accepted).toBeGreaterThan(0)
          }
        ),
        { numRuns: 30, seed: 11 }
      ),
    120_000
  )
})

describe("strings", () => {
  it("maxLength and minLength count code points, escapes as one", async () => {
    const g = await grammarFor({ type: "string", minLength: 2, maxLength: 3 })
    for (const ok of ['"ab"', '"abc"', '"é😀"', '"\\n\\u00e9x"', '"\\"\\\\"']) expect(accepts(g, ok), ok).toBe(true)
    // Surrogate escapes would make one grammar character half a code point.
    for (const bad of ['"a"', '"abcd"', '"\\ud83d\\ude00"', '"a\nb"']) expect(accepts(g, bad), bad).toBe(false)
  })

  it("pattern: generated strings match the regex (JSON escapes decoded)", async () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, ReadonlyArray<string>]> = [
      ["^[A-Z]{2}-\\d{3}$", ["AB-123"], ["AB-12", "ab-123", "AB-1234"]],
      ["^(yes|no)$", ["yes", "no"], ["maybe", "yesno"]],
      ['^"[\\\\/]\\.$', ['"\\.', '"/.'], ['"x.']],
      ["a\\tb", ["a\tb"], ["a b"]],
      ["^[^,]{0,3}$", ["", "x y", 'a"', "\n"], ["a,b", "abcd"]],
      ["^(?:\\w+)@(?<host>\\w+)\\.com$", ["me@x.com"], ["me@x.org"]]
    ]
    for (const [pattern, good, bad] of cases) {
      const g = await grammarFor({ type: "string", pattern })
      const regex = new RegExp(pattern, "u")
      for (const s of good) expect(accepts(g, JSON.stringify(s)), `${pattern} ${s}`).toBe(true)
      for (const s of good) expect(regex.test(s), `${pattern} ${s}`).toBe(true)
      for (const s of bad) expect(accepts(g, JSON.stringify(s)), `${pattern} ${s}`).toBe(false)
    }
  })

  it("formats generate only what ajv-formats accepts", async () => {
    const validate = makeValidator()
    const samples: Record<string, ReadonlyArray<string>> = {
      date: ["2024-02-28", "2024-02-30", "2024-13-01"],
      time: ["23:59:59Z", "23:59:59.123Z", "24:00:00Z"],
      "date-time": ["2024-01-01T00:00:00Z", "2024-01-01 00:00:00Z"],
      uuid: ["123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000"],
      email: ["me@example.com", "me@@x.com"],
      ipv4: ["192.168.0.1", "256.1.1.1", "01.1.1.1"],
      hostname: ["api.example.org", "-bad"]
    }
    for (const [format, values] of Object.entries(samples)) {
      const schema = { type: "string", format }
      const g = await grammarFor(schema)
      let accepted = 0
      for (const v of values)
        if (accepts(g, JSON.stringify(v))) {
          accepted++
          expect(validate(schema, v), `${format} ${v}`).toBeUndefined()
        }
      expect(accepted, format).toBeGreaterThan(0)
    }
  })
})

describe("objects, arrays, literals, combinators", () => {
  it("required always, optional maybe, declared order, no extra keys", async () => {
    const g = await grammarFor({
      type: "object",
      properties: { a: { type: "integer" }, b: { type: "boolean" }, c: { type: "null" } },
      required: ["b"],
      additionalProperties: false
    })
    for (const ok of ['{"b":true}', '{"a":1,"b":false}', '{"b":true,"c":null}', '{ "a": 1, "b": true, "c": null }'])
      expect(accepts(g, ok), ok).toBe(true)
    for (const bad of ["{}", '{"a":1}', '{"b":true,"d":1}', '{"b":true,"a":1}', '{"b":true,}', '{,"b":true}'])
      expect(accepts(g, bad), bad).toBe(false)
  })

  it("a required property missing from properties takes additionalProperties' schema", async () => {
    const g = await grammarFor({
      type: "object",
      properties: {},
      required: ["x"],
      additionalProperties: { type: "integer" }
    })
    expect(accepts(g, '{"x":3}')).toBe(true)
    expect(accepts(g, '{"x":"3"}')).toBe(false)
    expect(issueOf({ type: "object", required: ["x"], additionalProperties: false }).keyword).toBe("required")
  })

  it("arrays: prefixItems, items, minItems and maxItems", async () => {
    const g = await grammarFor({ type: "array", items: { enum: [1, 2] }, minItems: 1, maxItems: 3 })
    for (const ok of ["[1]", "[1, 2]", "[2,2,1]"]) expect(accepts(g, ok), ok).toBe(true)
    for (const bad of ["[]", "[1,2,1,2]", "[3]", "[1,]"]) expect(accepts(g, bad), bad).toBe(false)
    const tuple = await grammarFor({
      type: "array",
      prefixItems: [{ type: "boolean" }, { const: "x" }],
      items: false,
      minItems: 1
    })
    for (const ok of ["[true]", '[false,"x"]']) expect(accepts(tuple, ok), ok).toBe(true)
    for (const bad of ["[]", '["x"]', '[true,"x",1]']) expect(accepts(tuple, bad), bad).toBe(false)
    const many = await grammarFor({ type: "array", items: { type: "null" }, minItems: 3 })
    expect(accepts(many, "[null,null]")).toBe(false)
    expect(accepts(many, "[null,null,null,null,null]")).toBe(true)
  })

  it("enum and const emit exactly their JSON values; type filters an enum", async () => {
    const g = await grammarFor({ type: "string", enum: ["a", 1, 'q"'] })
    expect(accepts(g, '"a"')).toBe(true)
    expect(accepts(g, '"q\\""')).toBe(true)
    expect(accepts(g, "1")).toBe(false)
    const c = await grammarFor({ const: { k: [1, null] } })
    expect(accepts(c, '{"k":[1,null]}')).toBe(true)
    expect(accepts(c, '{"k":[1]}')).toBe(false)
  })

  it("$ref, $defs and recursion; oneOf only with branches that cannot both match", async () => {
    const tree = await grammarFor({
      $defs: {
        node: {
          type: "object",
          properties: { v: { type: "integer" }, kids: { type: "array", items: { $ref: "#/$defs/node" } } },
          required: ["v"]
        }
      },
      $ref: "#/$defs/node"
    })
    expect(accepts(tree, '{"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]}')).toBe(true)
    expect(accepts(tree, '{"v":1,"kids":[{}]}')).toBe(false)
    const tagged = await grammarFor({
      oneOf: [
        { type: "object", properties: { kind: { const: "a" }, x: { type: "integer" } }, required: ["kind"] },
        { type: "object", properties: { kind: { const: "b" } }, required: ["kind"] },
        { type: "string" }
      ]
    })
    expect(accepts(tagged, '{"kind":"a","x":1}')).toBe(true)
    expect(accepts(tagged, '"s"')).toBe(true)
    expect(issueOf({ oneOf: [{ type: "number" }, { type: "integer" }] }).keyword).toBe("oneOf")
    expect(issueOf({ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" }).keyword).toBe(
      "$ref"
    )
  })

  it("json_object: any object, numbers bounded", async () => {
    const g = await llama.createGrammar({ grammar: JSON_OBJECT_GRAMMAR })
    expect(accepts(g, '{"a":[1,{"b":null}],"c":"d"}')).toBe(true)
    expect(accepts(g, "[1]")).toBe(false)
    expect(accepts(g, '{"a":1e999}')).toBe(false)
  })
})

describe("keywords the grammar cannot enforce: an issue naming the keyword and its path", () => {
  const cases: ReadonlyArray<readonly [unknown, string]> = [
    [{ type: "object", properties: { n: { type: "integer", multipleOf: 3 } } }, "properties.n.multipleOf"],
    [{ type: "object", properties: { s: { type: "string", pattern: "^(?=a)" } } }, "properties.s.pattern"],
    [{ type: "string", pattern: "(a)\\1" }, "pattern"],
    [{ type: "string", pattern: "^a$|b\\b" }, "pattern"],
    [{ type: "string", pattern: "[" }, "pattern"],
    [{ type: "string", pattern: "^[a-z]+$", maxLength: 4 }, "maxLength"],
    [{ type: "array", items: { type: "string" }, uniqueItems: true }, "uniqueItems"],
    [{ type: "array", items: [{ type: "string" }] }, "items"],
    [{ type: "array", contains: { type: "string" } }, "contains"],
    [{ not: { type: "string" } }, "not"],
    [{ anyOf: [{ type: "string" }, { if: { type: "string" } }] }, "anyOf[1].if"],
    [{ type: "object", patternProperties: { "^a": {} } }, "patternProperties"],
    [{ type: "object", properties: { a: {} }, maxProperties: 0 }, "maxProperties"],
    [{ type: "string", format: "uri" }, "format"],
    [{ type: "integer", minimum: 5, maximum: 4 }, "minimum"],
    [{ type: "string", maxLength: 100000 }, "maxLength"],
    [{ type: "object", properties: { a: false } }, "properties.a"],
    [{ $ref: "https://example.com/schema.json" }, "$ref"],
    [{ $ref: "#/$defs/missing" }, "$ref"],
    [{ type: "string", allOf: [{ maxLength: 2 }] }, "type"],
    [{ allOf: [{ type: "string" }, { maxLength: 2 }] }, "allOf"],
    [{ type: "strin" }, "type"],
    [{ enum: ["a"], maxLength: 1 }, "maxLength"]
  ]
  for (const [schema, param] of cases)
    it(`${JSON.stringify(schema)} → ${param}`, () => {
      const issue = issueOf(schema)
      expect(issueParam("text.format.schema", issue)).toBe(`text.format.schema.${param}`)
      expect(issue.message.length).toBeGreaterThan(10)
    })

  it("annotations and unknown keywords assert nothing and are accepted", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "T",
      description: "d",
      type: "object",
      properties: { a: { type: "string", default: "x", examples: ["y"], "x-vendor": 1, nullable: true } },
      unevaluatedProperties: false
    }
    expect(Result.isSuccess(compileJsonSchema(schema))).toBe(true)
  })
})

describe("every generated schema compiles to a grammar llama.cpp loads", () => {
  it(
    "compile → createGrammar, and ajv accepts the schema too",
    () =>
      fc.assert(
        fc.asyncProperty(schemaArbitrary, async (schema) => {
          // ajv (strict) compiles the schema or throws: the generator stays within valid JSON Schema.
          makeValidator()(schema, null)
          await grammarFor(schema)
        }),
        { numRuns: 40, seed: 42 }
      ),
    120_000
  )
})
