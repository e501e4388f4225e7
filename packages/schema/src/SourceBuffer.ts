/**
 * The one push→pull buffer behind every backend's Source (docs/architecture.md#backends): a producer pushes
 * chunks as they come (an upstream's network reads, node-llama-cpp's token callbacks), the reader takes all that
 * is buffered as one batch. Per chunk this costs one array push; a read, its promise and its wake-up cost once
 * per batch. No Effect, no Node built-ins (the translator's browser bundle imports this package).
 *
 * How a waiting read is woken (`wake`), never synchronously inside the producer's call:
 * - `"microtask"` (the upstream): once the producer's synchronous run is over, so that a network read of fifty
 *   HTTP chunks is one decode, one batch and one write.
 * - `{ throttleMs }` (the engine): on a later macrotask — at once when the reader has not been woken for
 *   `throttleMs` (the first token, slow generation: no added latency), else `throttleMs` after the previous
 *   wake-up (fast generation: the tokens of that slice arrive as one batch).
 *
 * The end and a failure wake the reader at once; `release` settles a pending read and frees the producer.
 * @since 0.1.0
 */
import type { BackendError } from "./ChatBackend.js"
import type { ChatCompletionChunk } from "./ChatCompletions.js"
import * as Source from "./Source.js"

/** How a waiting read is woken (see the module's comment). @category models */
export type Wake = "microtask" | { readonly throttleMs: number }

/** The engine's slice: shortest time between two wake-ups while tokens keep coming (ms). @category models */
export const DEFAULT_THROTTLE_MS = 8

/** @category models */
export interface Options {
  /** Default `{ throttleMs: DEFAULT_THROTTLE_MS }`. */
  readonly wake?: Wake
  /**
   * Runs at each read before the buffer is looked at: a producer that keeps its raw input (an upstream's
   * undecoded bytes) turns it into chunks here (`offerAll`), once per read rather than once per push.
   */
  readonly pull?: () => void
  /** Frees the producer (abort a request, stop generating); its promise settles once it is free. */
  readonly onRelease?: () => Promise<void> | void
}

/** The producer's side; `source` is the reader's. @category models */
export interface SourceBuffer {
  readonly offer: (chunk: ChatCompletionChunk) => void
  readonly offerAll: (chunks: ReadonlyArray<ChatCompletionChunk>) => void
  /** The end, after what is buffered. */
  readonly end: () => void
  /** The failure, after what is buffered. */
  readonly fail: (error: BackendError) => void
  /** Raw input arrived that `pull` will turn into chunks: wake a waiting read (a producer with `pull`). */
  readonly signal: () => void
  readonly source: Source.Source
  /** Ended, failed or released: offers are dropped from now on. */
  readonly settled: boolean
  readonly released: boolean
  /** Chunks buffered, not read yet. */
  readonly size: number
}

/** @category constructors */
export const make = (options?: Options): SourceBuffer => new Buffer(options ?? {})

type Cancel = () => void
const timers = globalThis as unknown as {
  readonly setImmediate?: (f: () => void) => unknown
  readonly clearImmediate?: (handle: unknown) => void
}
/** A later macrotask: `setImmediate` where there is one (`setTimeout(0)` waits at least 1 ms in Node). */
const immediately: (f: () => void) => Cancel =
  typeof timers.setImmediate === "function" && typeof timers.clearImmediate === "function"
    ? (f) => {
        const handle = timers.setImmediate!(f)
        return () => timers.clearImmediate!(handle)
      }
    : (f) => {
        const handle = setTimeout(f, 0)
        return () => clearTimeout(handle)
      }
const after = (ms: number, f: () => void): Cancel => {
  const handle = setTimeout(f, ms)
  return () => clearTimeout(handle)
}
const resolved = Promise.resolve()
const noop = () => undefined

/** A class: per request one object and its methods, no closures; per chunk one push. */
class Buffer implements SourceBuffer, Source.Source {
  private chunks: Array<ChatCompletionChunk> = []
  private final: Source.Batch | undefined
  private waiter: ((batch: Source.Batch) => void) | undefined
  /** A wake-up scheduled: its cancel (a timer), or `noop` for a microtask. */
  private pending: Cancel | undefined
  private lastWake = Number.NEGATIVE_INFINITY
  private freed: Promise<void> | undefined
  private readonly throttleMs: number | undefined
  private readonly pullInput: (() => void) | undefined
  private readonly onRelease: (() => Promise<void> | void) | undefined

  constructor(options: Options) {
    const wake = options.wake ?? { throttleMs: DEFAULT_THROTTLE_MS }
    this.throttleMs = wake === "microtask" ? undefined : wake.throttleMs
    this.pullInput = options.pull
    this.onRelease = options.onRelease
  }

  get source(): Source.Source {
    return this
  }
  get settled(): boolean {
    return this.final !== undefined
  }
  get released(): boolean {
    return this.freed !== undefined
  }
  get size(): number {
    return this.chunks.length
  }

  // ---------------------------------------------------------------- the producer

  readonly offer = (chunk: ChatCompletionChunk): void => {
    if (this.final !== undefined) return
    this.chunks.push(chunk)
    this.wake()
  }

  readonly offerAll = (chunks: ReadonlyArray<ChatCompletionChunk>): void => {
    if (this.final !== undefined || chunks.length === 0) return
    for (const chunk of chunks) this.chunks.push(chunk)
    this.wake()
  }

  readonly end = (): void => this.settle(Source.end)

  readonly fail = (error: BackendError): void => this.settle(Source.failed(error))

  readonly signal = (): void => this.wake()

  // ---------------------------------------------------------------- the reader

  next(): Promise<Source.Batch> {
    const batch = this.take()
    if (batch !== undefined) return Promise.resolve(batch)
    return new Promise((resolve) => (this.waiter = resolve))
  }

  release(): Promise<void> {
    if (this.freed !== undefined) return this.freed
    this.freed = resolved
    this.chunks = []
    this.final ??= Source.released()
    this.cancelWake()
    const resolve = this.waiter
    this.waiter = undefined
    resolve?.(this.final)
    if (this.onRelease !== undefined) this.freed = Promise.resolve(this.onRelease()).then(noop, noop)
    return this.freed
  }

  // ---------------------------------------------------------------- inside

  /** Everything buffered as one batch (chunks first, the ending after them), or undefined when nothing is. */
  private take(): Source.Batch | undefined {
    if (this.pullInput !== undefined && this.freed === undefined) this.pullInput()
    if (this.chunks.length > 0) {
      const batch = Source.chunks(this.chunks)
      this.chunks = []
      return batch
    }
    return this.final
  }

  private settle(batch: Source.Batch): void {
    if (this.final !== undefined) return
    this.final = batch
    // A throttled wake-up pending: deliver the rest now.
    this.cancelWake()
    this.wake()
  }

  private wake(): void {
    if (this.pending !== undefined || this.waiter === undefined) return
    if (this.throttleMs === undefined) {
      this.pending = noop
      queueMicrotask(this.wakeNow)
      return
    }
    const delay = this.final === undefined ? this.lastWake + this.throttleMs - performance.now() : 0
    this.pending = delay > 0 ? after(delay, this.wakeNow) : immediately(this.wakeNow)
  }

  private cancelWake(): void {
    const cancel = this.pending
    this.pending = undefined
    cancel?.()
  }

  private readonly wakeNow = (): void => {
    // A cancelled microtask still runs: it finds nothing pending (or a newer wake-up's) and leaves.
    if (this.pending === undefined) return
    // The read may have been answered meanwhile (by `next` itself): then what came stays for the next one.
    const resolve = this.waiter
    // Still pending while `pull` offers: its pushes schedule no second wake-up.
    const batch = resolve === undefined ? undefined : this.take()
    this.pending = undefined
    if (resolve === undefined || batch === undefined) return
    this.waiter = undefined
    this.lastWake = performance.now()
    resolve(batch)
  }
}
