/**
 * The hand-wired llama of the scripted model: a named layout of the residual stream and writers for the
 * weight matrices that read and write it. Everything is expressed in "feature units": a reader gets 1 when
 * its feature is fully on, whatever magnitude the feature has in the residual.
 *
 * Scale: every embedding has squared norm 3 (CONST, one identity dim, a 64-dim unit code), so after the RMS
 * norm a dim holding 1 reads `s = sqrt(nEmbd / 3)`. Features that layers write have magnitude `EPS`, small
 * enough that the norm of every position stays within ~1 % (the positional heads rely on equal norms).
 */
import type { Tensor } from "./ggufWriter.js"

export const EPS = 0.05
export const HEAD_DIM = 32
export const CODE_DIM = 64

/** Row-major matrix `[rows][cols]`; as a GGUF tensor its dims are `[cols, rows]`. */
export class Matrix {
  readonly data: Float32Array
  constructor(
    readonly rows: number,
    readonly cols: number
  ) {
    this.data = new Float32Array(rows * cols)
  }
  add(row: number, col: number, value: number): void {
    if (row < 0 || row >= this.rows || col < 0 || col >= this.cols)
      throw new Error(`matrix index ${row},${col} out of range`)
    this.data[row * this.cols + col] += value
  }
  tensor(name: string): Tensor {
    return { name, dims: [this.cols, this.rows], data: this.data }
  }
}

export interface Feature {
  readonly name: string
  readonly dim: number
  /** Raw magnitude in the residual when fully on: 1 for embedding features, EPS for written ones. */
  readonly magnitude: number
}

/** Allocates residual dims by name. */
export class Layout {
  private next = 0
  private readonly byName = new Map<string, Feature>()
  constructor(readonly nEmbd: number) {}
  /** The RMS-norm gain of a unit-norm² = 3 position: what a dim holding 1 reads after the norm. */
  get s(): number {
    return Math.sqrt(this.nEmbd / 3)
  }
  embedded(name: string): Feature {
    return this.take(name, 1)
  }
  written(name: string): Feature {
    return this.take(name, EPS)
  }
  /** `n` consecutive dims (codes); returns the first. */
  block(name: string, n: number): number {
    const first = this.next
    for (let i = 0; i < n; i++) this.take(`${name}[${i}]`, 1)
    return first
  }
  get(name: string): Feature {
    const f = this.byName.get(name)
    if (f === undefined) throw new Error(`no feature ${name}`)
    return f
  }
  has(name: string): boolean {
    return this.byName.has(name)
  }
  get used(): number {
    return this.next
  }
  private take(name: string, magnitude: number): Feature {
    if (this.byName.has(name)) return this.byName.get(name)!
    if (this.next >= this.nEmbd) throw new Error(`residual full at ${name}`)
    const f = { name, dim: this.next++, magnitude }
    this.byName.set(name, f)
    return f
  }
  /** Weight that turns feature `f` (after the norm) into `value` when it is fully on. */
  reader(f: Feature, value: number): number {
    return value / (this.s * f.magnitude)
  }
}

/** One block's attention: q/k/v/o for `nHead` heads of HEAD_DIM, rope NORM (adjacent pairs). */
export class Attention {
  readonly q: Matrix
  readonly k: Matrix
  readonly v: Matrix
  readonly o: Matrix
  constructor(
    private readonly layout: Layout,
    nHead: number
  ) {
    const width = nHead * HEAD_DIM
    this.q = new Matrix(width, layout.nEmbd)
    this.k = new Matrix(width, layout.nEmbd)
    this.v = new Matrix(width, layout.nEmbd)
    this.o = new Matrix(layout.nEmbd, width)
  }
  /** q component `c` of head `h` gets `value` when `f` is on (linear in `f`). */
  query(h: number, c: number, f: Feature, value: number): void {
    this.q.add(h * HEAD_DIM + c, f.dim, this.layout.reader(f, value))
  }
  key(h: number, c: number, f: Feature, value: number): void {
    this.k.add(h * HEAD_DIM + c, f.dim, this.layout.reader(f, value))
  }
  /** Value component `c` of head `h` reads `f` as 1; the output writes it into `out` at `out`'s magnitude. */
  copy(h: number, c: number, f: Feature, out: Feature, gain = 1): void {
    this.v.add(h * HEAD_DIM + c, f.dim, this.layout.reader(f, 1))
    this.o.add(out.dim, h * HEAD_DIM + c, out.magnitude * gain)
  }
  /** Raw-dim variant for codes: value `c` reads residual dim `from` (unit entries), output adds into dim `to`. */
  copyDim(h: number, c: number, from: number, to: number, gain: number): void {
    this.v.add(h * HEAD_DIM + c, from, 1 / this.layout.s)
    this.o.add(to, h * HEAD_DIM + c, gain)
  }
}

/** SwiGLU FFN as a table of AND neurons: `silu(gate) * up`, `up` = 1. */
export class RuleTable {
  readonly gate: Matrix
  readonly up: Matrix
  readonly down: Matrix
  private used = 0
  constructor(
    private readonly layout: Layout,
    readonly nFf: number,
    private readonly sharpness = 20
  ) {
    this.gate = new Matrix(nFf, layout.nEmbd)
    this.up = new Matrix(nFf, layout.nEmbd)
    this.down = new Matrix(layout.nEmbd, nFf)
  }
  /**
   * One neuron: fires when every `all` feature is on and every `none` feature is off, and then writes
   * `out` (at its magnitude), and takes back each of `cancels`. Off by one condition, the gate sits at −sharpness/2 (silu ≈ −5e-4·sharpness).
   */
  and(
    all: ReadonlyArray<Feature>,
    none: ReadonlyArray<Feature>,
    out: Feature,
    constant: Feature,
    cancels: ReadonlyArray<Feature> = []
  ): void {
    const n = this.used++
    if (n >= this.nFf) throw new Error("rule table full")
    const a = this.sharpness
    for (const f of all) this.gate.add(n, f.dim, this.layout.reader(f, a))
    for (const f of none) this.gate.add(n, f.dim, this.layout.reader(f, -a))
    this.gate.add(n, constant.dim, this.layout.reader(constant, a * (none.length - (all.length + none.length - 0.5))))
    this.up.add(n, constant.dim, this.layout.reader(constant, 1))
    this.down.add(out.dim, n, out.magnitude / (a / 2))
    // `cancels`: features an earlier block wrote for the same position, taken back (−1 each).
    for (const f of cancels) this.down.add(f.dim, n, -f.magnitude / (a / 2))
  }
  get count(): number {
    return this.used
  }
}
