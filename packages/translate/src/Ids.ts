/**
 * Id generation, injected so the sequencer stays pure and tests stay deterministic.
 * @since 0.1.0
 */

/** The prefixes OpenAI uses: `resp_`, `msg_`, `fc_` (function call item), `ctc_` (custom tool call), `rs_`, `call_`, `cmp_` (compaction), `conv_` (conversation). */
export type IdPrefix = "resp" | "msg" | "fc" | "ctc" | "rs" | "call" | "cmp" | "conv"

/** The prefix of an item's id, by item type (OpenAI's): the one home of the rule, for the items the sequencer emits and for input items stored without an id. */
export const prefixFor = (itemType: string): IdPrefix =>
  itemType === "function_call"
    ? "fc"
    : itemType === "custom_tool_call"
      ? "ctc"
      : itemType === "reasoning"
        ? "rs"
        : itemType === "compaction"
          ? "cmp"
          : "msg"

/** @category models */
export type IdGenerator = (prefix: IdPrefix) => string

/** Deterministic ids for tests and replays: `msg_0001`, `fc_0002`, … (one counter across prefixes). */
export const counter = (start = 1): IdGenerator => {
  let n = start
  return (prefix) => `${prefix}_${String(n++).padStart(4, "0")}`
}

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

/**
 * Random ids from any `getRandomValues` (Web Crypto exists in browsers, Deno, Bun, workers and Node ≥ 19);
 * passed in, never read from a global here.
 */
export const random =
  (getRandomValues: (bytes: Uint8Array) => Uint8Array): IdGenerator =>
  (prefix) => {
    const bytes = getRandomValues(new Uint8Array(24))
    let out = `${prefix}_`
    for (const b of bytes) out += alphabet[b % 36]
    return out
  }
