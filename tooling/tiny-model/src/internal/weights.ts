/**
 * Seeded weights for the tiny llama: mulberry32 uniform noise (plain arithmetic, so the bytes are the same on
 * every platform), standard llama tensor names and shapes.
 */
import type { Tensor } from "./ggufWriter.js"

export interface Hyperparameters {
  readonly nEmbd: number
  readonly nLayer: number
  readonly nHead: number
  readonly nFf: number
  readonly nVocab: number
}

/** mulberry32: a 32-bit seeded PRNG returning floats in [0, 1). */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const makeTensors = (
  hp: Hyperparameters,
  seed: number,
  silentOutputRows: ReadonlyArray<number>
): Array<Tensor> => {
  const random = mulberry32(seed)
  const uniform = (n: number, scale: number): Float32Array => {
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = (random() * 2 - 1) * scale
    return data
  }
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1)
  const { nEmbd, nFf, nVocab } = hp
  const output = uniform(nEmbd * nVocab, 0.5)
  // Rows of control/byte tokens get logit 0: the model practically never samples them unprompted, so
  // generation runs to max_tokens instead of stopping on a random EOS.
  for (const row of silentOutputRows) output.fill(0, row * nEmbd, (row + 1) * nEmbd)
  const tensors: Array<Tensor> = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], data: uniform(nEmbd * nVocab, 1) },
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    { name: "output.weight", dims: [nEmbd, nVocab], data: output }
  ]
  const proj = 1 / Math.sqrt(nEmbd)
  for (let i = 0; i < hp.nLayer; i++) {
    const p = `blk.${i}.`
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], data: uniform(nEmbd * nEmbd, proj) },
      { name: `${p}attn_k.weight`, dims: [nEmbd, nEmbd], data: uniform(nEmbd * nEmbd, proj) },
      { name: `${p}attn_v.weight`, dims: [nEmbd, nEmbd], data: uniform(nEmbd * nEmbd, proj) },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], data: uniform(nEmbd * nEmbd, proj) },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], data: uniform(nEmbd * nFf, proj) },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], data: uniform(nEmbd * nFf, proj) },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], data: uniform(nFf * nEmbd, 1 / Math.sqrt(nFf)) }
    )
  }
  return tensors
}
