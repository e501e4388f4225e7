/**
 * A streamed completion from an upstream, as a Source: undici's `dispatch` pushes each network read into a
 * handler, and a waiting read gets all of it decoded in one go (SSE → chunks) as one batch. No fetch, web
 * streams, async iterators or Effect per batch: on Node 20 `http.request` costs ~2× and `fetch` ~5× the CPU
 * of a dispatch, and this runs once per token.
 * - The idle limit is undici's `bodyTimeout` (the longest silence between two reads), the wait for headers
 *   its `headersTimeout`.
 * - Read to `[DONE]`, the rest of the body (the chunked terminator) is drained so that the connection goes
 *   back to the keep-alive pool; released earlier (client gone, cancel), the request is aborted at once.
 * - Bytes piling up unread (a slow reader) pause the socket: backpressure reaches the upstream.
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import { ChunkDecode, Sse } from "@parlance/translate"
import type { Dispatcher } from "undici"
import * as Source from "./source.js"
import * as UpstreamErrors from "./upstreamErrors.js"

/** How long a body read to `[DONE]` may take to end before its connection is cut. */
const drainMs = 1_000
/** Bytes waiting for a read before the socket is paused (a slow reader); a read resumes it. */
const highWater = 1024 * 1024

export interface Opened {
  readonly status: number
  /** A 2xx answer: the completion. */
  readonly source?: Source.Source
  /** Any other status: the body's text (an error answer). */
  readonly text?: string
}

export interface Options {
  readonly dispatcher: Dispatcher
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly headersTimeoutMs: number
  readonly idleTimeoutMs: number
  /** Hand over the first event before the rest of a burst (Backend.OpenOptions). */
  readonly firstEventFirst: boolean
}

/**
 * Sends the request; `onOpen` is called once, with the answer (a Source for a 2xx, the text otherwise) or the
 * error that kept it from coming. Returns the abort for a caller who stops waiting.
 */
export const open = (
  options: Options,
  onOpen: (result: Opened | { readonly error: unknown }) => void
): (() => void) => {
  const completion = new Completion(options, onOpen)
  options.dispatcher.dispatch(
    {
      path: options.path,
      method: "POST",
      headers: { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) },
      body: options.body,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.idleTimeoutMs
    },
    completion
  )
  return () => completion.abort()
}

/** One exchange: undici's handler (it pushes) and the generation's Source (it reads). A class: no closures per request. */
class Completion implements Source.Source, Dispatcher.DispatchHandler {
  private readonly decoder: Sse.Decoder
  private controller: Dispatcher.DispatchController | undefined
  private answered = false
  private status = 0
  private errorText: Array<Buffer> | undefined
  // Bytes not decoded yet, chunks decoded and not read yet, then (once known) the ending.
  private raw: Array<Buffer> = []
  private rawBytes = 0
  private pending: Array<ChatCompletions.ChatCompletionChunk> = []
  private final: Source.Batch | undefined
  private waiting: ((batch: Source.Batch) => void) | undefined
  private waking = false
  /** The first read decodes only up to its first event (see `decodeRaw`); only when the client streams. */
  private first: boolean
  private firstPaused = false
  private sawDone = false
  private bodyEnded = false
  private isReleased = false
  private abortedByUs = false

  constructor(
    private readonly options: Options,
    private readonly onOpen: (result: Opened | { readonly error: unknown }) => void
  ) {
    this.decoder = Sse.makeDecoder()
    this.first = options.firstEventFirst
  }

  // ---------------------------------------------------------------- the Source

  next(): Promise<Source.Batch> {
    const batch = this.take()
    return batch !== undefined ? Promise.resolve(batch) : new Promise((resolve) => (this.waiting = resolve))
  }

  release(): void {
    if (this.isReleased) return
    this.isReleased = true
    if (!this.bodyEnded) {
      if (!this.sawDone) this.abort()
      else {
        if (this.controller?.paused === true) this.controller.resume()
        setTimeout(() => this.bodyEnded || this.abort(), drainMs).unref()
      }
    }
    this.raw = []
    this.pending = []
    this.settle(Source.released)
  }

  abort(): void {
    this.abortedByUs = true
    this.controller?.abort(new Error("The generation no longer reads this completion."))
  }

  // ---------------------------------------------------------------- undici's handler

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode
    if (statusCode >= 200 && statusCode < 300) this.answer({ status: statusCode, source: this })
    else this.errorText = []
  }

  onResponseData(controller: Dispatcher.DispatchController, data: Buffer): void {
    if (this.errorText !== undefined) return void this.errorText.push(data)
    if (this.final !== undefined) return
    this.raw.push(data)
    this.rawBytes += data.length
    // The first bytes go out before undici parses the rest of a burst: paused after the first HTTP chunk,
    // resumed a turn later, once the first batch is on its way to the client.
    if (this.first && !this.firstPaused) {
      this.firstPaused = true
      controller.pause()
      setImmediate(() => this.isReleased || controller.resume())
    }
    if (this.rawBytes >= highWater && !controller.paused) controller.pause()
    this.wake()
  }

  onResponseEnd(): void {
    this.bodyEnded = true
    if (this.errorText !== undefined)
      return this.answer({ status: this.status, text: Buffer.concat(this.errorText).toString("utf8") })
    // All of it now (the first event's split is for a reader waiting on the first bytes, not for the end).
    this.first = false
    this.decodeRaw()
    if (this.final === undefined) this.decode(this.decoder.end())
    // A body that ends without `[DONE]` is a dropped stream.
    this.settle(() => Source.failed(UpstreamErrors.noDone()))
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.bodyEnded = true
    if (!this.answered) return this.answer({ error })
    if (this.abortedByUs) return this.settle(Source.released)
    const code = (error as { code?: string }).code
    const idle = this.options.idleTimeoutMs
    this.settle(() =>
      Source.failed(code === "UND_ERR_BODY_TIMEOUT" ? UpstreamErrors.idleTimeout(idle) : UpstreamErrors.broken())
    )
  }

  // ---------------------------------------------------------------- inside

  private answer(result: Opened | { readonly error: unknown }): void {
    if (this.answered) return
    this.answered = true
    this.onOpen(result)
  }

  /**
   * The bytes received since the last read, decoded in one go (one UTF-8 decode and SSE parse per read). The
   * very first read decodes only up to its first event: a burst from the upstream must not hold back the
   * response's first bytes (the rest is the next read's).
   */
  private decodeRaw(): void {
    if (this.raw.length === 0) return
    let bytes = this.raw.length === 1 ? this.raw[0]! : Buffer.concat(this.raw, this.rawBytes)
    this.raw = []
    this.rawBytes = 0
    if (this.first) {
      this.first = false
      const end = firstEventEnd(bytes)
      if (end > 0 && end < bytes.length) {
        this.raw = [bytes.subarray(end)]
        this.rawBytes = bytes.length - end
        bytes = bytes.subarray(0, end)
      }
    }
    if (this.final === undefined) this.decode(this.decoder.feed(bytes))
  }

  /** SSE messages → chunks pending, then the ending if they held it. */
  private decode(messages: ReadonlyArray<Sse.SseMessage>): void {
    for (const message of messages) {
      const input = ChunkDecode.fromData(message.data)
      if (!("_tag" in input)) {
        this.pending.push(input)
        continue
      }
      if (input._tag === "Failed")
        return this.settle(() => Source.failed(UpstreamErrors.inStream(input.message, input.code)))
      this.sawDone = true
      return this.settle(() => Source.end)
    }
  }

  /** Everything read so far as one batch (chunks first, the ending after them). */
  private take(): Source.Batch | undefined {
    this.decodeRaw()
    if (this.pending.length > 0) {
      const batch = Source.chunks(this.pending)
      this.pending = []
      if (this.controller?.paused === true) this.controller.resume()
      return batch
    }
    return this.final
  }

  // undici hands over one HTTP chunk at a time, all of a network read in one go: a waiting read is answered
  // after them (a microtask later), so that a read of fifty frames is one decode, one batch and one write.
  private wake(): void {
    if (this.waiting === undefined || this.waking) return
    this.waking = true
    queueMicrotask(() => {
      this.waking = false
      // The read may have been answered meanwhile (by `next` itself): then what came stays for the next one.
      const resolve = this.waiting
      if (resolve === undefined) return
      const batch = this.take()
      if (batch === undefined) return
      this.waiting = undefined
      resolve(batch)
    })
  }

  /** The ending, made only when it is the first (a BackendError captures a stack: not for nothing). */
  private settle(batch: () => Source.Batch): void {
    if (this.final !== undefined) return
    this.final = batch()
    this.wake()
  }
}

/** Where the first SSE event of `bytes` ends (after its blank line), or -1 when it has not ended yet. */
const firstEventEnd = (bytes: Buffer): number => {
  let end = -1
  for (const blank of ["\n\n", "\r\n\r\n", "\r\r"]) {
    const at = bytes.indexOf(blank)
    if (at >= 0 && (end < 0 || at + blank.length < end)) end = at + blank.length
  }
  return end
}

/** An error before any answer: a timeout waiting for headers, or no connection at all. */
export const openFailure = (error: unknown, headersTimeoutMs: number): ChatBackend.BackendError => {
  const code = (error as { code?: string } | undefined)?.code
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT"
    ? UpstreamErrors.connectTimeout(headersTimeoutMs)
    : UpstreamErrors.unreachable()
}
