/**
 * Whether two JSON Schemas can both match one value, coarsely (types, constants, constant tags of required
 * properties): `oneOf` is only enforceable when its branches cannot.
 */

export type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object"

export const TYPES: ReadonlyArray<JsonType> = ["null", "boolean", "integer", "number", "string", "array", "object"]

export const isObject = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON text with sorted keys: equal for values a validator deems equal. */
export const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(",")}]`
    : isObject(value)
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
          .join(",")}}`
      : JSON.stringify(value)

export const typeOfValue = (value: unknown): ReadonlyArray<JsonType> =>
  value === null
    ? ["null"]
    : typeof value === "boolean"
      ? ["boolean"]
      : typeof value === "number"
        ? Number.isInteger(value)
          ? ["integer", "number"]
          : ["number"]
        : typeof value === "string"
          ? ["string"]
          : Array.isArray(value)
            ? ["array"]
            : ["object"]

/** What a schema can generate, coarsely: for telling `oneOf` branches apart. */
export type Signature =
  | { readonly _tag: "Any" }
  | { readonly _tag: "Literals"; readonly values: ReadonlyArray<unknown> }
  | {
      readonly _tag: "Types"
      readonly types: ReadonlySet<JsonType>
      readonly tags: ReadonlyMap<string, ReadonlySet<string>>
    }

export const overlaps = (a: Signature, b: Signature): boolean => {
  if (a._tag === "Any" || b._tag === "Any") return true
  if (a._tag === "Literals" && b._tag === "Literals")
    return a.values.some((x) => b.values.some((y) => canonical(x) === canonical(y)))
  if (a._tag === "Literals" || b._tag === "Literals") {
    const [lits, types] =
      a._tag === "Literals"
        ? [a, b as Extract<Signature, { _tag: "Types" }>]
        : [b as Extract<Signature, { _tag: "Literals" }>, a]
    return lits.values.some((v) => typeOfValue(v).some((t) => types.types.has(t)))
  }
  const shared = TYPES.filter(
    (t) =>
      a.types.has(t) &&
      (b.types.has(t) || (t === "integer" && b.types.has("number")) || (t === "number" && b.types.has("integer")))
  )
  if (shared.length === 0) return false
  if (shared.length > 1 || shared[0] !== "object") return true
  // Two object branches are apart when a property both require has disjoint constant values.
  for (const [key, values] of a.tags) {
    const other = b.tags.get(key)
    if (other !== undefined && ![...values].some((v) => other.has(v))) return false
  }
  return true
}
