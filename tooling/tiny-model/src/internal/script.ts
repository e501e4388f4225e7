/**
 * What the scripted model says, as token pieces of the shared vocabulary. Each chain is played one token at
 * a time by rules keyed on (previous token, current token); the branch point is the assistant header's
 * `\n`. `CALL` is exactly the chat wrapper's call prefix (`<tool_call>\n{"name": "`), after which
 * node-llama-cpp's grammar takes over and the copy heads spell the first tool's name.
 */
export const NL = "<0x0A>"
export const SPACE = "\u2581"

export const ANSWER_TEXT = "Hello! I am a small test model."
export const TOOL_RESULT_TEXT = "Here is the result."
export const THOUGHT_TEXT = "OK."

export const HELLO = [
  "Hello",
  "!",
  `${SPACE}I`,
  `${SPACE}am`,
  `${SPACE}a`,
  `${SPACE}small`,
  `${SPACE}test`,
  `${SPACE}model`,
  "."
]
export const HERE = ["Here", `${SPACE}is`, `${SPACE}the`, `${SPACE}result`, "."]
export const CALL = ["<tool_call>", NL, '{"', "name", '":', SPACE, '"']
export const THINK = ["<think>", NL, "O", "K", ".", NL, "</think>", NL, NL]

/** Asked to count ("Count from 1 to 500"), the model counts for ever: the script's long answer, for length cuts. */
export const COUNT_WORD = "Count"
export const COUNTING = ["1", SPACE] // "1 1 1 …": (▁, 1) → ▁ and (1, ▁) → 1 loop
/** "…make both calls…": after its call the model makes one more (parallel calls), then ends the turn. */
export const BOTH_CALLS: readonly [string, string] = [`${SPACE}both`, `${SPACE}call`]
export const CALL_END = "</tool_call>"

/** The branch point: the last token of `<|im_start|>assistant\n`. */
export const BRANCH: readonly [string, string] = ["assistant", NL]
/** The thinking variant's second branch point: the end of `</think>\n\n`. */
export const AFTER_THOUGHT: readonly [string, string] = [NL, NL]

/** (prev, cur) → next for every step of the chains that follow the branch point. */
export const chainRules = (think: boolean): Array<readonly [string, string, string]> => {
  // The thinking variant thinks first, then decides (block 1) between the answer and a call after the
  // thought's closing `\n\n` (AFTER_THOUGHT); both chains continue from there.
  const starts: Array<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = think
    ? [
        [BRANCH, THINK],
        [AFTER_THOUGHT, HELLO],
        [AFTER_THOUGHT, CALL],
        [BRANCH, HERE]
      ]
    : [
        [BRANCH, HELLO],
        [BRANCH, HERE],
        [BRANCH, CALL]
      ]
  const rules = new Map<string, readonly [string, string, string]>()
  for (const [start, chain] of starts) {
    const seq = [...start, ...chain]
    for (let i = 2; i + 1 < seq.length; i++) {
      const key = `${seq[i - 1]} ${seq[i]}`
      const rule = [seq[i - 1], seq[i], seq[i + 1]] as const
      const existing = rules.get(key)
      if (existing !== undefined && existing[2] !== rule[2]) throw new Error(`ambiguous script step after ${key}`)
      rules.set(key, rule)
    }
  }
  // The counting loop, and the second call's opening (its name and arguments are copied like the first's).
  for (const rule of [
    [NL, "1", SPACE],
    ["1", SPACE, "1"],
    [SPACE, "1", SPACE],
    [CALL_END, NL, CALL[0]]
  ] as const) {
    const key = `${rule[0]} ${rule[1]}`
    if (rules.has(key)) throw new Error(`ambiguous script step after ${key}`)
    rules.set(key, rule)
  }
  return Array.from(rules.values())
}

/**
 * Fixed offsets in the prompt node-llama-cpp renders with this template (`JinjaTemplateChatWrapper`):
 * - the `"` that opens the FIRST tool's name (`<tools>\n{"type": "function", "function": {"name": "`) has
 *   `name` 3 tokens back and `>` (of `<tools>`) 21 back;
 * - the `"` that ends a generated call prefix has `name` 3 back and `<tool_call>` 6 back;
 * - at the assistant header's `\n`, `</tool_response>` 5 back means the last turn was a tool result.
 */
export const OFFSETS = { name: 3, toolCall: 6, toolsTag: 21, toolResponse: 5 } as const

/** How many name tokens the copy heads can spell (one counter head per offset). */
export const MAX_NAME_TOKENS = 16

/** Default logits when no rule or copy fires: end the turn; inside a params grammar, minimal valid JSON. */
export const DEFAULT_LOGITS: ReadonlyArray<readonly [string, number]> = [
  ["<|im_end|>", 20],
  ['"', 15], // above `"}`: after `:` the grammar also allows `"}` as open-quote + `}` content
  ['"}', 12],
  ["}", 10],
  ["]", 8],
  ["0", 6], // numbers close as `0`, never `0.0` (Codex parses some as unsigned integers)
  [",", 4],
  // Far above the byte token `<0x3A>` (which would win a tie: lowest id), even at temperature 1, so the
  // rules that look for an opened string value see the `:` token; still below `"`, which closes strings.
  [":", 9]
]

/** A token a user can name for a string argument: a capitalised word (`Paris`, `▁Paris`). */
export const isCapitalisedWord = (piece: string): boolean => /^\u2581?[A-Z][a-z]+$/.test(piece)

/** A word after this token is also an argument candidate ("run find" → `cmd: " find"`). */
export const RUN_WORD = `${SPACE}run`
