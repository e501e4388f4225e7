/**
 * The tiny model's SentencePiece ("llama") vocabulary: specials, the 256 byte tokens, single characters,
 * and a few hundred words with every prefix (SPM only merges into pieces whose sub-pieces exist).
 */

/** llama.cpp `llama_token_type`. */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, byte: 6 } as const

export interface Vocabulary {
  readonly tokens: ReadonlyArray<string>
  readonly scores: ReadonlyArray<number>
  readonly types: ReadonlyArray<number>
  readonly unk: number
  readonly bos: number
  readonly eos: number
  readonly pad: number
  /** Tokens the model should practically never sample (their output rows are zeroed). */
  readonly silent: ReadonlyArray<number>
}

const SPACE = "\u2581"

const WORDS = `the of and to in is you that it he was for on are as with his they at be this have from or one had
by word but not what all were we when your can said there use an each which she do how their if will up other about
out many then them these so some her would make like him into time has look two more write go see number no way
could people my than first water been call who oil its now find long down day did get come made may part hello
world yes sure answer question model tool call function weather city name value result error data list item text
json string true false null object array type key test code run file path user system assistant think reason step
because should need want know help good new old big small fast slow red blue green left right open close start
end next last time today tomorrow please thank thanks ok okay here where why what which while until after before
again also just only very much such even most other same each every any both few some more less little own over
under between through during without within along across behind beyond plus except around among against toward
upon paris london tokyo berlin rome madrid celsius fahrenheit temperature degree sunny cloudy rain snow wind hot
cold warm cool number count sum add subtract multiply divide total price cost buy sell order pay money bank card
email phone message send read search query find fetch get set update delete create remove insert select table row
column index field record input output response request server client stream event chunk token prompt context`
  .split(/\s+/)
  .filter((w) => w.length > 0)

const PIECES = [
  "ing",
  "ed",
  "er",
  "est",
  "ly",
  "tion",
  "s",
  "es",
  "re",
  "un",
  "pre",
  "able",
  "ment",
  "ness",
  '{"',
  '":',
  '":"',
  '","',
  '"}',
  '":{',
  "},{",
  '"]',
  '["',
  "{}",
  "[]",
  '",',
  '":[',
  "name",
  "arguments",
  "location",
  "unit",
  "query",
  "city",
  "answer",
  "ok",
  "user",
  "assistant",
  "system",
  "tool",
  "You",
  "Tools",
  "function",
  "json",
  "object"
]

const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'\"()[]{}<>-_=+*/\\|@#$%^&~`"

/** Text pieces that should be one (user-defined) token, as in Qwen/Hermes vocabularies. */
const USER_DEFINED = ["<tool_call>", "</tool_call>", "<think>", "</think>", "<tool_response>", "</tool_response>"]

export const makeVocabulary = (): Vocabulary => {
  const tokens: Array<string> = []
  const scores: Array<number> = []
  const types: Array<number> = []
  const seen = new Set<string>()
  const add = (token: string, type: number, score: number): number => {
    if (seen.has(token)) return tokens.indexOf(token)
    seen.add(token)
    tokens.push(token)
    scores.push(score)
    types.push(type)
    return tokens.length - 1
  }
  const unk = add("<unk>", TokenType.unknown, 0)
  const bos = add("<|endoftext|>", TokenType.control, 0)
  const imStart = add("<|im_start|>", TokenType.control, 0)
  const eos = add("<|im_end|>", TokenType.control, 0)
  for (const t of USER_DEFINED) add(t, TokenType.userDefined, 0)
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TokenType.byte, 0)
  // Normal pieces: longer pieces score higher so SPM prefers them (score = log-prob-like, all negative).
  const normal = new Set<string>()
  normal.add(SPACE)
  for (const c of CHARS) normal.add(c)
  const withPrefixes = (piece: string): void => {
    const chars = Array.from(piece)
    for (let i = 2; i <= chars.length; i++) normal.add(chars.slice(0, i).join(""))
  }
  for (const w of WORDS) {
    withPrefixes(SPACE + w)
    withPrefixes(SPACE + w[0].toUpperCase() + w.slice(1))
    withPrefixes(w[0].toUpperCase() + w.slice(1))
  }
  for (const p of PIECES) withPrefixes(p)
  const ordered = Array.from(normal).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const piece of ordered) add(piece, TokenType.normal, -10 + Array.from(piece).length)
  return { tokens, scores, types, unk, bos, eos, pad: bos, silent: [unk, bos, imStart, eos] }
}
