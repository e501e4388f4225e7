/**
 * GBNF (llama.cpp grammar) building blocks for JSON: literals, character classes over JSON string
 * contents, bounded numbers and decimal integer ranges. Pure string builders, no llama.cpp.
 */

const hex = (code: number, width: number): string => code.toString(16).toUpperCase().padStart(width, "0")

/** A code point as a GBNF escape (`\xHH`, `\uHHHH`, `\UHHHHHHHH`): grammars stay ASCII. */
const escapeCode = (code: number): string =>
  code <= 0xff ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`

/** A GBNF string literal matching exactly `text`. */
export const literal = (text: string): string => {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (char === '"' || char === "\\") out += "\\" + char
    else if (code >= 0x20 && code < 0x7f) out += char
    else out += escapeCode(code)
  }
  return out + '"'
}

/** An inclusive code point range. */
export type Range = readonly [number, number]

const classChar = (code: number): string =>
  code >= 0x20 && code < 0x7f && !"]\\^-[".includes(String.fromCodePoint(code))
    ? String.fromCodePoint(code)
    : escapeCode(code)

/** A GBNF character class (`[...]` or `[^...]`) of `ranges`. */
export const charClass = (ranges: ReadonlyArray<Range>, negated = false): string =>
  "[" +
  (negated ? "^" : "") +
  ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)).join("") +
  "]"

/** How the decoded character `code` is written inside a JSON string. */
export const jsonEscaped = (code: number): string => {
  switch (code) {
    case 0x22:
      return '\\"'
    case 0x5c:
      return "\\\\"
    case 0x08:
      return "\\b"
    case 0x0c:
      return "\\f"
    case 0x0a:
      return "\\n"
    case 0x0d:
      return "\\r"
    case 0x09:
      return "\\t"
  }
  return code < 0x20 ? `\\u${hex(code, 4).toLowerCase()}` : String.fromCodePoint(code)
}

/** Characters a JSON string cannot hold raw: `"`, `\` and the C0 controls. */
export const UNSAFE: ReadonlyArray<Range> = [
  [0x00, 0x1f],
  [0x22, 0x22],
  [0x5c, 0x5c]
]

const MAX_CODE = 0x10ffff

/** Sorted, merged ranges. */
export const normalize = (ranges: ReadonlyArray<Range>): Array<Range> => {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Array<[number, number]> = []
  for (const [lo, hi] of sorted) {
    const last = out.at(-1)
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else out.push([lo, hi])
  }
  return out
}

export const complement = (ranges: ReadonlyArray<Range>): Array<Range> => {
  const out: Array<Range> = []
  let next = 0
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1])
    next = hi + 1
  }
  if (next <= MAX_CODE) out.push([next, MAX_CODE])
  return out
}

const subtract = (ranges: ReadonlyArray<Range>, removed: ReadonlyArray<Range>): Array<Range> => {
  const keep = complement(removed)
  const out: Array<Range> = []
  for (const [lo, hi] of normalize(ranges))
    for (const [klo, khi] of keep) {
      const a = Math.max(lo, klo)
      const b = Math.min(hi, khi)
      if (a <= b) out.push([a, b])
    }
  return out
}

/**
 * A GBNF expression for one decoded character of `ranges`, as JSON writes it inside a string: safe
 * characters raw, `"` `\` and controls as their escapes. Surrogates never occur (a grammar matches code
 * points). `undefined` when the set is empty.
 */
export const jsonStringChar = (ranges: ReadonlyArray<Range>): string | undefined => {
  const safe = subtract(subtract(ranges, UNSAFE), [[0xd800, 0xdfff]])
  const alternatives: Array<string> = []
  if (safe.length > 0) alternatives.push(charClass(safe))
  let escapes = 0
  for (const [lo, hi] of normalize(ranges))
    for (const [ulo, uhi] of UNSAFE)
      for (let code = Math.max(lo, ulo); code <= Math.min(hi, uhi); code++) {
        alternatives.push(literal(jsonEscaped(code)))
        escapes++
      }
  if (alternatives.length === 0) return undefined
  return alternatives.length === 1 && escapes === 0 ? alternatives[0] : `(${alternatives.join(" | ")})`
}

/**
 * The most digits an integer part gets: 15 keeps every integer exact in a double (below 2^53); with at
 * most 15 fraction digits and a two-digit exponent a number stays far inside JSON's (a double's) range.
 */
export const MAX_DIGITS = 15
export const MAX_UINT = 10 ** MAX_DIGITS - 1

/** Base rules every compiled grammar gets. */
export const BASE_RULES: ReadonlyArray<readonly [string, string]> = [
  ["ws", '( " " | "\\n" [ ]{0,16} )?'],
  ["char", '[^"\\\\\\x00-\\x1F] | "\\\\" ( ["\\\\/bfnrt] | "u" hex-bmp )'],
  // `\u` escapes of non-surrogates only: each escape is one code point, so lengths count exactly.
  ["hex-bmp", "[0-9a-cA-C] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} | [eEfF] [0-9a-fA-F]{3}"],
  ["string", '"\\"" char* "\\""'],
  ["integer", `"-"? ( "0" | [1-9] [0-9]{0,${MAX_DIGITS - 1}} )`],
  ["fraction", `"." [0-9]{1,${MAX_DIGITS}}`],
  ["number", `integer fraction? ( [eE] [-+]? [0-9]{1,2} )?`],
  ["boolean", '"true" | "false"'],
  ["null", '"null"'],
  ["value", "object | array | string | number | boolean | null"],
  ["object", '"{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"'],
  ["array", '"[" ws ( value ( ws "," ws value )* )? ws "]"']
]

const digitClass = (lo: number, hi: number): string => (lo === hi ? `"${lo}"` : `[${lo}-${hi}]`)

/** Decimal strings of `lo..hi`, same number of digits (leading digits as given). */
const sameLength = (lo: string, hi: string): string => {
  if (lo.length === 0) return ""
  const a = Number(lo[0])
  const b = Number(hi[0])
  const restLo = lo.slice(1)
  const restHi = hi.slice(1)
  const any = restLo.length === 0 ? "" : ` [0-9]{${restLo.length}}`
  if (a === b) return `${digitClass(a, a)}${restLo.length === 0 ? "" : " " + sameLength(restLo, restHi)}`
  if (/^0*$/.test(restLo) && /^9*$/.test(restHi)) return `${digitClass(a, b)}${any}`
  const parts: Array<string> = []
  parts.push(`${digitClass(a, a)} ${sameLength(restLo, "9".repeat(restLo.length))}`)
  if (a + 1 <= b - 1) parts.push(`${digitClass(a + 1, b - 1)}${any}`)
  parts.push(`${digitClass(b, b)} ${sameLength("0".repeat(restHi.length), restHi)}`)
  return `( ${parts.join(" | ")} )`
}

/** Unsigned decimal integers in `lo..hi` (0 ≤ lo ≤ hi ≤ MAX_UINT), no leading zeros. */
export const uintRange = (lo: number, hi: number): string => {
  const parts: Array<string> = []
  for (let digits = String(lo).length; digits <= String(hi).length; digits++) {
    const from = Math.max(lo, digits === 1 ? 0 : 10 ** (digits - 1))
    const to = Math.min(hi, 10 ** digits - 1)
    if (from <= to) parts.push(sameLength(String(from), String(to)))
  }
  return parts.length === 1 ? parts[0] : `( ${parts.join(" | ")} )`
}

/**
 * Integers (no fraction, no exponent) in `lo..hi`, both within ±MAX_UINT; with `fraction`, also the
 * decimals whose integer part keeps them inside the range (`k.f` for 0 ≤ k < hi, `-k.f` for lo < -k ≤ 0).
 */
export const numberRange = (lo: number, hi: number, fraction: boolean): string | undefined => {
  const parts: Array<string> = []
  if (hi >= 0) parts.push(uintRange(Math.max(lo, 0), hi))
  if (lo <= -1) parts.push(`"-" ${uintRange(Math.max(-hi, 1), -lo)}`)
  if (fraction) {
    if (hi - 1 >= Math.max(lo, 0)) parts.push(`${uintRange(Math.max(lo, 0), hi - 1)} fraction`)
    if (-lo - 1 >= Math.max(-hi, 0)) parts.push(`"-" ${uintRange(Math.max(-hi, 0), -lo - 1)} fraction`)
  }
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : `( ${parts.join(" | ")} )`
}
