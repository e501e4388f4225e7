/**
 * node-llama-cpp 3.22's JSON number grammar lets an integer take an exponent of up to 16 digits (`15E215971`
 * parses to Infinity) and lets any number carry more digits than a double holds. Its JSON-schema grammars and
 * function-call parameters both use that one class, so the rule is corrected where it lives, once, at load:
 * integers take no exponent, numbers stay exact and inside JSON's range. (A pnpm patch would not travel with the
 * published package: installs from npm get node-llama-cpp unpatched.)
 */
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"

const INTEGER = '"-"? ("0" | [1-9] [0-9]{0,14})'
const FRACTIONAL = `${INTEGER} ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,2})?`

interface GbnfNumberPrototype {
  getGrammar(this: { readonly allowFractional: boolean }): string
}

const entry = createRequire(import.meta.url).resolve("node-llama-cpp")
const module = (await import(new URL("./utils/gbnfJson/terminals/GbnfNumber.js", pathToFileURL(entry)).href)) as {
  readonly GbnfNumber?: { readonly prototype: GbnfNumberPrototype }
}
const prototype = module.GbnfNumber?.prototype
// A node-llama-cpp whose layout moved fails loudly here rather than serving the old rule silently.
if (prototype === undefined || typeof prototype.getGrammar !== "function")
  throw new Error("node-llama-cpp's GbnfNumber was not found: the number grammar cannot be corrected")
prototype.getGrammar = function () {
  return this.allowFractional ? FRACTIONAL : INTEGER
}

/** The number grammar now in force (for tests). */
export const numberGrammar = { integer: INTEGER, fractional: FRACTIONAL } as const
