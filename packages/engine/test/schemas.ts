/**
 * JSON Schemas for property tests (within what the engine enforces), and the validator that judges the
 * answers: ajv with its 2020-12 build and ajv-formats, independent of the grammar compiler.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import * as fc from "fast-check"

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020

export const makeValidator = (): ((schema: object, value: unknown) => string | undefined) => {
  const ajv = addFormats(new Ajv2020({ strict: true, allErrors: false }))
  return (schema, value) => {
    const validate = ajv.compile(schema)
    return validate(value) ? undefined : ajv.errorsText(validate.errors)
  }
}

type Schema = Record<string, unknown>

const primitive = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom("red", "green", "blue", "a b", 'quo"te', "é"),
  fc.boolean(),
  fc.constant(null)
)

const bounds = (lo: number, hi: number) =>
  fc
    .tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const)

const leaf: fc.Arbitrary<Schema> = fc.oneof(
  fc.constant({ type: "integer" }),
  bounds(-120, 120).map(([minimum, maximum]) => ({ type: "integer", minimum, maximum })),
  fc.integer({ min: -5, max: 5 }).map((exclusiveMinimum) => ({ type: "integer", exclusiveMinimum })),
  fc.constant({ type: "number" }),
  bounds(-10, 10).map(([lo, hi]) => ({ type: "number", minimum: lo - 0.5, exclusiveMaximum: hi + 1 })),
  fc.constant({ type: "boolean" }),
  fc.constant({ type: "null" }),
  bounds(0, 6).map(([minLength, maxLength]) => ({ type: "string", minLength, maxLength })),
  fc.integer({ min: 0, max: 8 }).map((maxLength) => ({ type: ["string", "null"], maxLength })),
  fc
    .constantFrom("^[a-z]{1,4}$", "^\\d{2}-\\d{2}$", "^(yes|no|maybe)$", "[A-Z]x?", "^[^,]{0,3}$", '^"[\\\\/]\\.$')
    .map((pattern) => ({
      type: "string",
      pattern
    })),
  fc
    .constantFrom("date", "time", "date-time", "uuid", "email", "ipv4", "hostname")
    .map((format) => ({ type: "string", format })),
  fc
    .uniqueArray(primitive, { minLength: 1, maxLength: 4, selector: (v) => JSON.stringify(v) })
    .map((values) => ({ enum: values })),
  primitive.map((value) => ({ const: value }))
)

const key = fc.constantFrom("a", "n", "name", "x_1", "é", "with space", 'q"k')

export const schemaArbitrary: fc.Arbitrary<Schema> = fc.letrec<{ schema: Schema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(key, tie("schema"), fc.boolean()), {
          minLength: 1,
          maxLength: 3,
          selector: ([k]) => k
        }),
        fc.boolean()
      )
      .map(([entries, closed]) => ({
        type: "object",
        properties: Object.fromEntries(entries.map(([k, s]) => [k, s])),
        required: entries.filter(([, , r]) => r).map(([k]) => k),
        ...(closed ? { additionalProperties: false } : {})
      })),
    fc
      .tuple(tie("schema"), bounds(0, 3))
      .map(([items, [minItems, extra]]) => ({ type: "array", items, minItems, maxItems: minItems + extra })),
    fc.tuple(leaf, leaf).map(([a, b]) => ({ anyOf: [a, b] }))
  )
})).schema
