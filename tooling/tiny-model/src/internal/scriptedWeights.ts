/**
 * Hand-set weights for the scripted tiny model (no training): 3 llama blocks whose heads and FFN neurons
 * implement `script.ts`. The construction and its measured pitfalls: ../shared/research/scripted-tiny-model.md.
 *
 * Block 0 — fixed-offset "comb" heads read the tokens 1, 3, 5, 6 and 21 back; the FFN plays the chains
 *   ((prev, cur) → next) and marks three quotes: FQ opens the first tool's name in the prompt, GQ ends a
 *   generated call prefix, ARGQ opens a string value inside the params grammar.
 * Block 1 — counter heads d = 1..16 mark "d tokens after FQ" (F_d) and "d tokens after GQ" (Q_d); one head
 *   sees whether a tools block exists; the FFN decides the branch at the assistant header.
 * Block 2 — copy heads: a query Q_i matches the key F_{i+1} and copies that prompt token's code, so the
 *   generated name is the first tool's name token by token; an argument head copies the latest capitalised
 *   word (or the word after "run") into the first string value. Both park on `<|im_start|>` (value 0) otherwise.
 */
import type { Tensor } from "./ggufWriter.js"
import { Attention, CODE_DIM, EPS, HEAD_DIM, Layout, Matrix, RuleTable, type Feature } from "./residual.js"
import {
  AFTER_THOUGHT,
  BOTH_CALLS,
  BRANCH,
  CALL,
  CALL_END,
  COUNT_WORD,
  chainRules,
  DEFAULT_LOGITS,
  HELLO,
  HERE,
  isCapitalisedWord,
  MAX_NAME_TOKENS,
  NL,
  OFFSETS,
  RUN_WORD,
  SPACE,
  THINK
} from "./script.js"
import type { Vocabulary } from "./vocabulary.js"
import { mulberry32 } from "./weights.js"

export const SCRIPTED = { nEmbd: 320, nLayer: 3, nHead: 18, nFf: 64, ropeBase: 1e9, contextLength: 32768 } as const

const SQRT_HEAD = Math.sqrt(HEAD_DIM)
/** rope NORM: pair j (dims 2j, 2j+1) turns by θ_j per position. */
const theta = (j: number): number => SCRIPTED.ropeBase ** ((-2 * j) / HEAD_DIM)
/** Pairs 0..7 make the position comb (peak 707, runner-up 663 anywhere in 32k); 8 the recency slope; 10..15 barely turn (< 0.08 rad over 32k). */
const COMB_PAIRS = 8
const COMB_GAIN = Math.sqrt(500)
const RECENCY_PAIR = 8
const FLAT_FIRST_DIM = 20 // pairs 10..15
const SINK_DIM = 31

export interface ScriptedOptions {
  readonly think: boolean
}

export const makeScriptedTensors = (vocab: Vocabulary, options: ScriptedOptions): Array<Tensor> => {
  const { nEmbd, nHead, nFf, nLayer } = SCRIPTED
  const ids = new Map<string, number>()
  vocab.tokens.forEach((t, i) => ids.set(t, i))
  const id = (piece: string): number => {
    const i = ids.get(piece)
    if (i === undefined) throw new Error(`the script uses '${piece}', which is not in the vocabulary`)
    return i
  }
  const rules = chainRules(options.think)
  const answerStart = options.think ? THINK[0] : HELLO[0]

  // ---- residual layout -------------------------------------------------------------------------------
  const L = new Layout(nEmbd)
  const CONST = L.embedded("CONST")
  const scripted = new Set<string>([
    ...BRANCH,
    ...HELLO,
    ...HERE,
    ...CALL,
    ...(options.think ? THINK : []),
    '"',
    ":",
    ">",
    "name",
    "<tool_call>",
    "</tool_response>",
    "arguments",
    "<|im_start|>",
    "<|im_end|>",
    RUN_WORD,
    COUNT_WORD,
    CALL_END,
    ...BOTH_CALLS,
    ...rules.flat()
  ])
  const tok = new Map<string, Feature>()
  for (const piece of scripted) {
    id(piece)
    tok.set(piece, L.embedded(`TOK ${piece}`))
  }
  const T = (piece: string): Feature => tok.get(piece)!
  const OTHER = L.embedded("OTHER")
  const CAPW = L.embedded("CAPW")
  const IMS_PAD = L.embedded("IMS_PAD") // `<|im_start|>` keeps norm² 3 without a code any head reads
  const CODE = L.block("CODE", CODE_DIM)

  const prevSet = new Set<string>([
    BRANCH[0],
    AFTER_THOUGHT[0],
    ...rules.map((r) => r[0]),
    ":",
    '"',
    RUN_WORD,
    BOTH_CALLS[0]
  ])
  const PREV = new Map<string, Feature>()
  for (const piece of prevSet) PREV.set(piece, L.written(`PREV ${piece}`))
  const P = (piece: string): Feature => PREV.get(piece)!
  const TRESP = L.written("TRESP")
  const N_NAME = L.written("N_NAME")
  const N_CALL = L.written("N_CALL")
  const N_TOOLS = L.written("N_TOOLS")
  const PREV2_COLON = L.written("PREV2 :")
  const FQ = L.written("FQ")
  const GQ = L.written("GQ")
  const ARGQ = L.written("ARGQ")
  const VALUE = L.written("VALUE") // the token after an ARGQ: a string value was opened
  const F: Array<Feature> = []
  const Q: Array<Feature> = [GQ] // Q_0 is GQ itself
  for (let d = 1; d <= MAX_NAME_TOKENS; d++) F[d] = L.written(`F${d}`)
  for (let d = 1; d < MAX_NAME_TOKENS; d++) Q[d] = L.written(`Q${d}`)
  const STOP = L.written("STOP")
  const PRIOR = L.written("PRIOR")
  const HASTOOLS = L.written("HASTOOLS")
  const BOTH = L.written("BOTH") // "both call…" here
  const COUNT = L.written("COUNT") // `Count` somewhere: count for ever
  const MULTI = L.written("MULTI") // "both call…" somewhere: a second call
  const SECOND = L.written("SECOND") // a call already ended in this turn
  const targets = new Set<string>([...rules.map((r) => r[2]), answerStart, HELLO[0], HERE[0], CALL[0], "1", NL])
  const NEXT = new Map<string, Feature>()
  for (const piece of targets) NEXT.set(piece, L.written(`NEXT ${piece}`))
  const COPY = L.block("COPY", CODE_DIM)

  // ---- embeddings: CONST + one identity dim + a unit code (twins share a code) ----------------------
  const random = mulberry32(0x5c41)
  const gaussian = (): number => {
    const u = Math.max(random(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const nVocab = vocab.tokens.length
  const codes: Array<Float32Array> = []
  for (let t = 0; t < nVocab; t++) {
    const c = new Float32Array(CODE_DIM)
    let norm = 0
    for (let i = 0; i < CODE_DIM; i++) {
      c[i] = gaussian()
      norm += c[i] * c[i]
    }
    for (let i = 0; i < CODE_DIM; i++) c[i] /= Math.sqrt(norm)
    codes.push(c)
  }
  // `▁Paris` reads as `Paris` (a string value gets the word without its space); `",` and `"}` both mean
  // "the name ended here".
  const twin = (t: number): number => {
    const piece = vocab.tokens[t]
    if (piece === '"}') return id('",')
    if (piece.startsWith(SPACE) && piece.length > 1 && ids.has(piece.slice(1))) return id(piece.slice(1))
    return t
  }
  const codeOf = (t: number): Float32Array => codes[twin(t)]
  const embd = new Matrix(nVocab, nEmbd)
  for (let t = 0; t < nVocab; t++) {
    const piece = vocab.tokens[t]
    embd.add(t, CONST.dim, 1)
    const identity = tok.get(piece) ?? (isCapitalisedWord(piece) ? CAPW : OTHER)
    embd.add(t, identity.dim, 1)
    if (piece === "<|im_start|>") embd.add(t, IMS_PAD.dim, 1)
    else codeOf(t).forEach((v, i) => embd.add(t, CODE + i, v))
  }

  // ---- attention helpers -------------------------------------------------------------------------------
  /** Head `h` attends exactly `d` tokens back (positions are contiguous). */
  const comb = (a: Attention, h: number, d: number): void => {
    for (let j = 0; j < COMB_PAIRS; j++) {
      a.query(h, 2 * j, CONST, COMB_GAIN * Math.cos(d * theta(j)))
      a.query(h, 2 * j + 1, CONST, -COMB_GAIN * Math.sin(d * theta(j)))
      a.key(h, 2 * j, CONST, COMB_GAIN)
    }
  }
  /** q·k / sqrt(head_dim) = score on a pair that does not turn. */
  const flat = (a: Attention, h: number, dim: number, q: Feature, k: Feature, score: number, qScale = 1): void => {
    const g = Math.sqrt(score * SQRT_HEAD)
    a.query(h, dim, q, g * qScale)
    a.key(h, dim, k, g)
  }
  /** Park on `<|im_start|>` tokens (value 0) with `score`; `extra` adds to it when `when` is on. */
  const sink = (a: Attention, h: number, score: number, when?: Feature, extra = 0): void => {
    const g = Math.sqrt(30 * SQRT_HEAD)
    a.key(h, SINK_DIM, T("<|im_start|>"), g)
    a.query(h, SINK_DIM, CONST, (score * SQRT_HEAD) / g)
    if (when !== undefined) a.query(h, SINK_DIM, when, (extra * SQRT_HEAD) / g)
  }

  /** Recency: −perToken per token back when `when` is on, as −R²·sin(Δ·θ₈) (monotone up to ~49k tokens). */
  const slope = (a: Attention, h: number, perToken: number, when: Feature): void => {
    const r = Math.sqrt((perToken * SQRT_HEAD) / theta(RECENCY_PAIR))
    a.query(h, 2 * RECENCY_PAIR + 1, when, r)
    a.key(h, 2 * RECENCY_PAIR, CONST, r)
  }

  // ---- block 0 -----------------------------------------------------------------------------------------
  const a0 = new Attention(L, nHead)
  comb(a0, 0, 1)
  let c = 0
  for (const piece of prevSet) a0.copy(0, c++, T(piece), P(piece))
  if (c > HEAD_DIM) throw new Error("too many previous-token conditions for one head")
  comb(a0, 1, OFFSETS.toolResponse)
  a0.copy(1, 0, T("</tool_response>"), TRESP)
  comb(a0, 2, OFFSETS.name)
  a0.copy(2, 0, T("name"), N_NAME)
  comb(a0, 3, OFFSETS.toolCall)
  a0.copy(3, 0, T("<tool_call>"), N_CALL)
  comb(a0, 4, OFFSETS.toolsTag)
  a0.copy(4, 0, T(">"), N_TOOLS)
  comb(a0, 5, 2)
  a0.copy(5, 0, T(":"), PREV2_COLON)
  const f0 = new RuleTable(L, nFf)
  for (const [prev, cur, next] of rules) f0.and([P(prev), T(cur)], [], NEXT.get(next)!, CONST)
  f0.and([T('"'), N_NAME, N_TOOLS], [], FQ, CONST)
  f0.and([T('"'), N_NAME, N_CALL], [], GQ, CONST)
  f0.and([T('"'), P(":")], [], ARGQ, CONST)
  f0.and([P('"'), PREV2_COLON], [], VALUE, CONST)
  f0.and([P(BOTH_CALLS[0]), T(BOTH_CALLS[1])], [], BOTH, CONST)

  // ---- block 1 -----------------------------------------------------------------------------------------
  const a1 = new Attention(L, nHead)
  for (let d = 1; d <= MAX_NAME_TOKENS; d++) {
    const h = d - 1
    comb(a1, h, d)
    a1.copy(h, 0, FQ, F[d])
    if (d < MAX_NAME_TOKENS) a1.copy(h, 1, GQ, Q[d])
    a1.copy(h, 2, T("arguments"), STOP)
  }
  // PRIOR: is the latest of {`arguments`, an opened string value} a string value? Then this call already
  // has its argument and later string values stay empty (every string parameter would get the same word).
  const prior = MAX_NAME_TOKENS + 1
  slope(a1, prior, 1, CONST)
  flat(a1, prior, SINK_DIM - 1, CONST, VALUE, 50)
  a1.key(prior, SINK_DIM - 1, T("arguments"), Math.sqrt(50 * SQRT_HEAD))
  a1.copy(prior, 0, VALUE, PRIOR)
  const presence = MAX_NAME_TOKENS
  flat(a1, presence, SINK_DIM - 1, CONST, FQ, 60)
  a1.copy(presence, 0, FQ, HASTOOLS)
  const f1 = new RuleTable(L, nFf)
  const [bPrev, bCur] = BRANCH
  if (options.think) {
    // Think first (with or without tools), then answer or call; after a tool result answer at once (TRESP
    // is only known at the header).
    const [tPrev, tCur] = AFTER_THOUGHT
    f1.and([P(bPrev), T(bCur)], [TRESP], NEXT.get(answerStart)!, CONST)
    f1.and([P(tPrev), T(tCur)], [HASTOOLS], NEXT.get(HELLO[0])!, CONST)
    f1.and([P(tPrev), T(tCur), HASTOOLS], [], NEXT.get(CALL[0])!, CONST)
  } else {
    f1.and([P(bPrev), T(bCur)], [HASTOOLS, TRESP], NEXT.get(answerStart)!, CONST)
    f1.and([P(bPrev), T(bCur), HASTOOLS], [TRESP], NEXT.get(CALL[0])!, CONST)
  }
  f1.and([P(bPrev), T(bCur), TRESP], [], NEXT.get(HERE[0])!, CONST)

  // ---- block 2 -----------------------------------------------------------------------------------------
  const a2 = new Attention(L, nHead)
  const channels = SINK_DIM - FLAT_FIRST_DIM // 11 per head
  for (let group = 0; group * channels < MAX_NAME_TOKENS; group++) {
    for (let half = 0; half < 2; half++) {
      const h = group * 2 + half
      for (let ch = 0; ch < channels; ch++) {
        const i = group * channels + ch
        if (i >= MAX_NAME_TOKENS) break
        flat(a2, h, FLAT_FIRST_DIM + ch, Q[i], F[i + 1], 80)
      }
      // After `arguments` the params follow: stop copying the name.
      sink(a2, h, 30, STOP, 130)
      for (let k = 0; k < HEAD_DIM; k++) a2.copyDim(h, k, CODE + half * HEAD_DIM + k, COPY + half * HEAD_DIM + k, EPS)
    }
  }
  const argHeads = [4, 5]
  argHeads.forEach((h, half) => {
    slope(a2, h, 0.5, ARGQ)
    // Only the first string value of a call: PRIOR cancels the bonus.
    flat(a2, h, SINK_DIM - 1, ARGQ, CAPW, 100)
    a2.key(h, SINK_DIM - 1, P(RUN_WORD), Math.sqrt(100 * SQRT_HEAD))
    a2.query(h, SINK_DIM - 1, PRIOR, -2 * Math.sqrt(100 * SQRT_HEAD))
    sink(a2, h, 30)
    for (let k = 0; k < HEAD_DIM; k++) a2.copyDim(h, k, CODE + half * HEAD_DIM + k, COPY + half * HEAD_DIM + k, EPS)
  })

  // Presence of `Count` and of "both call…"; whether a call already ended in this turn (the latest of the
  // token after a `</tool_call>` and `<|im_start|>`).
  flat(a2, 6, SINK_DIM - 1, CONST, T(COUNT_WORD), 60)
  a2.copy(6, 0, T(COUNT_WORD), COUNT)
  flat(a2, 7, SINK_DIM - 1, CONST, BOTH, 60)
  a2.copy(7, 0, BOTH, MULTI)
  slope(a2, 8, 0.2, CONST)
  flat(a2, 8, SINK_DIM - 1, CONST, P(CALL_END), 50)
  a2.key(8, SINK_DIM - 1, T("<|im_start|>"), Math.sqrt(50 * SQRT_HEAD))
  a2.copy(8, 0, P(CALL_END), SECOND)
  const f2 = new RuleTable(L, nFf)
  f2.and([P(bPrev), T(bCur), COUNT], [HASTOOLS, TRESP], NEXT.get("1")!, CONST, [NEXT.get(answerStart)!])
  f2.and([T(CALL_END), MULTI], [SECOND], NEXT.get(NL)!, CONST)

  // ---- output head -------------------------------------------------------------------------------------
  const out = new Matrix(nVocab, nEmbd)
  const readScale = (value: number): number => value / (L.s * EPS)
  for (const [piece, f] of NEXT) out.add(id(piece), f.dim, readScale(100))
  for (const [piece, logit] of DEFAULT_LOGITS) out.add(id(piece), CONST.dim, logit / L.s)
  const copyLogit = 100
  for (let t = 0; t < nVocab; t++) {
    if (vocab.types[t] !== 1 && vocab.types[t] !== 6) continue // normal and byte tokens only
    const piece = vocab.tokens[t]
    const weight = piece === NL ? 1 : piece.startsWith(SPACE) ? 0.7 : 1
    const code = piece === NL ? codes[id('",')] : codeOf(t)
    for (let i = 0; i < CODE_DIM; i++) out.add(t, COPY + i, readScale(copyLogit * weight * code[i]))
  }

  const ones = (n: number): Float32Array => new Float32Array(n).fill(1)
  const tensors: Array<Tensor> = [
    embd.tensor("token_embd.weight"),
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    out.tensor("output.weight")
  ]
  const blocks: Array<readonly [Attention, RuleTable]> = [
    [a0, f0],
    [a1, f1],
    [a2, f2]
  ]
  if (blocks.length !== nLayer) throw new Error("layer count")
  blocks.forEach(([a, f], i) => {
    const p = `blk.${i}.`
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      a.q.tensor(`${p}attn_q.weight`),
      a.k.tensor(`${p}attn_k.weight`),
      a.v.tensor(`${p}attn_v.weight`),
      a.o.tensor(`${p}attn_output.weight`),
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      f.gate.tensor(`${p}ffn_gate.weight`),
      f.up.tensor(`${p}ffn_up.weight`),
      f.down.tensor(`${p}ffn_down.weight`)
    )
  })
  return tensors
}
