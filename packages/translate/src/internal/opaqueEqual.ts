/**
 * Structural equality of JSON values modulo opaque blobs: OpenAI re-encrypts `encrypted_content` and
 * `fingerprint` between an item's `output_item.done` and the terminal Response (same length, other bytes),
 * so two strings under those keys count as equal. Key order never matters.
 */
import { isObject } from "./json.js"

const opaqueKeys: ReadonlySet<string> = new Set(["encrypted_content", "fingerprint"])

export type Comparison = "equal" | "opaque-differs" | "different"

export const compareModuloOpaque = (a: unknown, b: unknown): Comparison => {
  let opaque = false
  const eq = (x: unknown, y: unknown, key: string | undefined): boolean => {
    if (x === y) return true
    if (key !== undefined && opaqueKeys.has(key) && typeof x === "string" && typeof y === "string") {
      opaque = true
      return true
    }
    if (Array.isArray(x) || Array.isArray(y)) {
      return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((e, i) => eq(e, y[i], undefined))
    }
    if (!isObject(x) || !isObject(y)) return false
    const kx = Object.keys(x).filter((k) => x[k] !== undefined)
    const ky = Object.keys(y).filter((k) => y[k] !== undefined)
    return kx.length === ky.length && kx.every((k) => eq(x[k], y[k], k))
  }
  if (!eq(a, b, undefined)) return "different"
  return opaque ? "opaque-differs" : "equal"
}
