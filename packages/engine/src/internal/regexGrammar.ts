/**
 * A JSON Schema `pattern` (an ECMAScript regex with the `u` flag, matched anywhere in the string) → a
 * GBNF expression for the *contents* of a JSON string whose decoded text matches it. The grammar
 * generates whole matches of the pattern (anchors dropped): such a string contains a match, so the
 * pattern holds. Regex features a grammar cannot express (lookaround, backreferences, word boundaries,
 * Unicode properties, anchors inside the pattern) are refused with a reason.
 */
import * as Result from "effect/Result"
import { complement, jsonStringChar, normalize, type Range } from "./gbnf.js"

type Node =
  | { readonly _tag: "Set"; readonly ranges: ReadonlyArray<Range> }
  | { readonly _tag: "Seq"; readonly items: ReadonlyArray<Node> }
  | { readonly _tag: "Alt"; readonly options: ReadonlyArray<Node> }
  | { readonly _tag: "Repeat"; readonly node: Node; readonly min: number; readonly max: number | undefined }

class Refused {
  constructor(readonly reason: string) {}
}

const DIGIT: ReadonlyArray<Range> = [[0x30, 0x39]]
const WORD: ReadonlyArray<Range> = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a]
]
const SPACE: ReadonlyArray<Range> = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff]
]
const LINE_TERMINATORS: ReadonlyArray<Range> = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029]
]
const SYNTAX = "^$\\.*+?()[]{}|/"

const parse = (pattern: string): Node => {
  const chars = Array.from(pattern)
  let at = 0
  const peek = (): string | undefined => chars[at]
  const refuse = (reason: string): never => {
    throw new Refused(reason)
  }

  const hexDigits = (count: number): number => {
    const text = chars.slice(at, at + count).join("")
    if (!new RegExp(`^[0-9a-fA-F]{${count}}$`).test(text)) refuse(`invalid escape at ${at}`)
    at += count
    return parseInt(text, 16)
  }

  /** After a `\`: a character class escape (ranges) or one code point. */
  const escaped = (inClass: boolean): ReadonlyArray<Range> => {
    const c = chars[at++]
    if (c === undefined) return refuse("a trailing backslash")
    switch (c) {
      case "d":
        return DIGIT
      case "D":
        return complement(DIGIT)
      case "w":
        return WORD
      case "W":
        return complement(WORD)
      case "s":
        return SPACE
      case "S":
        return complement(SPACE)
      case "t":
        return [[9, 9]]
      case "n":
        return [[10, 10]]
      case "v":
        return [[11, 11]]
      case "f":
        return [[12, 12]]
      case "r":
        return [[13, 13]]
      case "0":
        if (/[0-9]/.test(peek() ?? "")) return refuse("an octal escape")
        return [[0, 0]]
      case "x": {
        const code = hexDigits(2)
        return [[code, code]]
      }
      case "u": {
        if (peek() === "{") {
          const end = chars.indexOf("}", at)
          if (end < 0) return refuse("an unterminated \\u{…}")
          const text = chars.slice(at + 1, end).join("")
          const code = parseInt(text, 16)
          if (!/^[0-9a-fA-F]{1,6}$/.test(text) || code > 0x10ffff) return refuse("an invalid \\u{…}")
          at = end + 1
          return [[code, code]]
        }
        const code = hexDigits(4)
        if (code >= 0xd800 && code <= 0xdfff) return refuse("a surrogate escape")
        return [[code, code]]
      }
      case "b":
        return inClass ? [[8, 8]] : refuse("a word boundary (\\b)")
      case "-":
        if (inClass) return [[0x2d, 0x2d]]
    }
    if (SYNTAX.includes(c)) {
      const code = c.codePointAt(0)!
      return [[code, code]]
    }
    if (c === "B") return refuse("a word boundary (\\B)")
    if (/[1-9k]/.test(c)) return refuse("a backreference")
    if (c === "p" || c === "P") return refuse("a Unicode property escape")
    return refuse(`the escape \\${c}`)
  }

  const charClass = (): Node => {
    // after `[`
    const negated = peek() === "^"
    if (negated) at++
    const ranges: Array<Range> = []
    let first = true
    for (;;) {
      const c = chars[at]
      if (c === undefined) return refuse("an unterminated character class")
      if (c === "]" && !first) break
      if (c === "]") return refuse("an empty character class")
      first = false
      at++
      const single = (): ReadonlyArray<Range> => {
        if (c !== "\\") return [[c.codePointAt(0)!, c.codePointAt(0)!]]
        return escaped(true)
      }
      const left = single()
      if (peek() === "-" && chars[at + 1] !== undefined && chars[at + 1] !== "]") {
        at++
        const d = chars[at++]
        const right: ReadonlyArray<Range> = d === "\\" ? escaped(true) : [[d.codePointAt(0)!, d.codePointAt(0)!]]
        if (left.length !== 1 || right.length !== 1 || left[0][0] !== left[0][1] || right[0][0] !== right[0][1])
          return refuse("a class range with a class escape")
        if (left[0][0] > right[0][0]) return refuse("a character class range out of order")
        ranges.push([left[0][0], right[0][0]])
      } else ranges.push(...left)
    }
    at++
    return { _tag: "Set", ranges: negated ? complement(ranges) : normalize(ranges) }
  }

  const atom = (): Node => {
    const c = chars[at++]
    switch (c) {
      case "(": {
        if (peek() === "?") {
          const next = chars[at + 1]
          if (next === ":") at += 2
          else if (next === "<" && chars[at + 2] !== "=" && chars[at + 2] !== "!") {
            const end = chars.indexOf(">", at)
            if (end < 0) return refuse("an unterminated group name")
            at = end + 1
          } else return refuse("a lookaround assertion")
        }
        const inner = alternation()
        if (chars[at++] !== ")") return refuse("an unterminated group")
        return inner
      }
      case "[":
        return charClass()
      case ".":
        return { _tag: "Set", ranges: complement(LINE_TERMINATORS) }
      case "\\":
        return { _tag: "Set", ranges: escaped(false) }
      case "^":
      case "$":
        return refuse(`an anchor (${c}) inside the pattern`)
      case ")":
      case "]":
      case "{":
      case "}":
      case "*":
      case "+":
      case "?":
      case "|":
        return refuse(`an unexpected '${c}'`)
    }
    const code = c!.codePointAt(0)!
    return { _tag: "Set", ranges: [[code, code]] }
  }

  const quantified = (): Node => {
    const node = atom()
    let min: number
    let max: number | undefined
    const q = peek()
    if (q === "*") [min, max] = [0, undefined]
    else if (q === "+") [min, max] = [1, undefined]
    else if (q === "?") [min, max] = [0, 1]
    else if (q === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(at).join(""))
      if (match === null) return refuse("an invalid quantifier")
      min = Number(match[1])
      max = match[2] === undefined ? min : match[3] === "" ? undefined : Number(match[3])
      if (max !== undefined && max < min) return refuse("a quantifier out of order")
      if (min > 1000 || (max ?? 0) > 1000) return refuse("a quantifier above 1000")
      at += match[0].length - 1
    } else return node
    at++
    if (peek() === "?") at++ // lazy: the same strings
    return { _tag: "Repeat", node, min, max }
  }

  const sequence = (topLevel: boolean): Node => {
    const items: Array<Node> = []
    if (topLevel && peek() === "^") at++
    for (;;) {
      const c = peek()
      if (c === undefined || c === "|" || c === ")") break
      if (topLevel && c === "$" && (chars[at + 1] === undefined || chars[at + 1] === "|")) {
        at++
        break
      }
      items.push(quantified())
    }
    return items.length === 1 ? items[0] : { _tag: "Seq", items }
  }

  let depth = 0
  const alternation = (): Node => {
    const topLevel = depth === 0
    depth++
    const options = [sequence(topLevel)]
    while (peek() === "|") {
      at++
      options.push(sequence(topLevel))
    }
    depth--
    return options.length === 1 ? options[0] : { _tag: "Alt", options }
  }

  const root = alternation()
  if (at < chars.length) refuse(`an unexpected '${chars[at]}'`)
  return root
}

const render = (node: Node): string => {
  switch (node._tag) {
    case "Set": {
      const expr = jsonStringChar(node.ranges)
      if (expr === undefined) throw new Refused("a character class no JSON string character matches")
      return expr
    }
    case "Seq":
      return node.items.length === 0 ? '""' : `( ${node.items.map(render).join(" ")} )`
    case "Alt":
      return `( ${node.options.map(render).join(" | ")} )`
    case "Repeat": {
      const inner = render(node.node)
      const grouped = /^\(.*\)$|^\[[^\]]*\]$|^"[^"]*"$/.test(inner) ? inner : `( ${inner} )`
      if (node.max === undefined)
        return node.min === 0 ? `${grouped}*` : node.min === 1 ? `${grouped}+` : `${grouped}{${node.min},}`
      if (node.min === 0 && node.max === 1) return `${grouped}?`
      return node.min === node.max ? `${grouped}{${node.min}}` : `${grouped}{${node.min},${node.max}}`
    }
  }
}

/** The GBNF for the contents (between the quotes) of a JSON string matching `pattern`, or why not. */
export const patternGrammar = (pattern: string): Result.Result<string, string> => {
  try {
    // The regex must be valid first (ajv compiles it with the `u` flag).
    new RegExp(pattern, "u")
  } catch (cause) {
    return Result.fail(`an invalid regular expression (${cause instanceof Error ? cause.message : String(cause)})`)
  }
  try {
    return Result.succeed(render(parse(pattern)))
  } catch (cause) {
    if (cause instanceof Refused) return Result.fail(cause.reason)
    throw cause
  }
}
