/**
 * A streamed completion from an upstream, as a Source: undici's `dispatch` pushes each network read into a
 * handler, and a waiting read gets all of it decoded in one go (SSE → chunks) as one batch, through the
 * SourceBuffer every backend feeds (`@parlance/schema/SourceBuffer`). No fetch, web
 * streams, async iterators or Effect per batch: on Node 20 `http.request` costs ~2× and `fetch` ~5× the CPU
 * of a dispatch, and this runs once per token.
 * - The idle limit is undici's `bodyTimeout` (the longest silence between two reads), the wait for headers
 *   its `headersTimeout`.
 * - Read to `[DONE]`, the rest of the body (the chunked terminator) is drained so that the connection goes
 *   back to the keep-alive pool; released earlier (client gone, cancel), the request is aborted at once.
 * - Bytes piling up unread (a slow reader) pause the socket: backpressure reaches the upstream.
 */
import { type ChatBackend, type ChatCompletions, type Source, SourceBuffer } from "@parlance/schema"
import { ChunkDecode, Sse } from "@parlance/translate"
import type { Dispatcher } from "undici"
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

/**
 * One exchange: undici's handler, feeding the completion's SourceBuffer. What is left here is the HTTP side —
 * the status, the bytes decoded at each read (the buffer's `pull`), the first event's split, pause and resume,
 * the drain to `[DONE]`. A class: no closures per request.
 */
class Completion implements Dispatcher.DispatchHandler {
  private readonly decoder: Sse.Decoder
  private readonly buffer: SourceBuffer.SourceBuffer
  private controller: Dispatcher.DispatchController | undefined
  private answered = false
  private status = 0
  private errorText: Array<Buffer> | undefined
  // Bytes not decoded yet.
  private raw: Array<Buffer> = []
  private rawBytes = 0
  /** The first read decodes only up to its first event (see `decodeRaw`); only when the client streams. */
  private first: boolean
  private firstPaused = false
  private sawDone = false
  private bodyEnded = false
  private abortedByUs = false

  constructor(
    private readonly options: Options,
    private readonly onOpen: (result: Opened | { readonly error: unknown }) => void
  ) {
    this.decoder = Sse.makeDecoder()
    this.first = options.firstEventFirst
    // undici hands over one HTTP chunk at a time, all of a network read in one go: a waiting read is woken a
    // microtask later, so that a read of fifty frames is one decode, one batch and one write.
    this.buffer = SourceBuffer.make({ wake: "microtask", pull: this.pull, onRelease: this.released })
  }

  abort(): void {
    this.abortedByUs = true
    this.controller?.abort(new Error("The generation no longer reads this completion."))
  }

  // ---------------------------------------------------------------- the buffer's hooks

  /** At each read: the bytes received since the last one, decoded; a paused socket resumes once read. */
  private readonly pull = (): void => {
    this.decodeRaw()
    if (this.buffer.size > 0 && this.controller?.paused === true) this.controller.resume()
  }

  /** Released (client gone, cancel, drain): aborted at once, or, read to `[DONE]`, drained for the pool. */
  private readonly released = (): void => {
    this.raw = []
    if (this.bodyEnded) return
    if (!this.sawDone) return this.abort()
    if (this.controller?.paused === true) this.controller.resume()
    setTimeout(() => this.bodyEnded || this.abort(), drainMs).unref()
  }

  // ---------------------------------------------------------------- undici's handler

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode
    if (statusCode >= 200 && statusCode < 300) this.answer({ status: statusCode, source: this.buffer.source })
    else this.errorText = []
  }

  onResponseData(controller: Dispatcher.DispatchController, data: Buffer): void {
    if (this.errorText !== undefined) return void this.errorText.push(data)
    if (this.buffer.settled) return
    this.raw.push(data)
    this.rawBytes += data.length
    // The first bytes go out before undici parses the rest of a burst: paused after the first HTTP chunk,
    // resumed a turn later, once the first batch is on its way to the client.
    if (this.first && !this.firstPaused) {
      this.firstPaused = true
      controller.pause()
      setImmediate(() => this.buffer.released || controller.resume())
    }
    if (this.rawBytes >= highWater && !controller.paused) controller.pause()
    this.buffer.signal()
  }

  onResponseEnd(): void {
    this.bodyEnded = true
    if (this.errorText !== undefined)
      return this.answer({ status: this.status, text: Buffer.concat(this.errorText).toString("utf8") })
    // All of it now (the first event's split is for a reader waiting on the first bytes, not for the end).
    this.first = false
    this.decodeRaw()
    if (!this.buffer.settled) this.decode(this.decoder.end())
    // A body that ends without `[DONE]` is a dropped stream.
    if (!this.buffer.settled) this.buffer.fail(UpstreamErrors.noDone())
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.bodyEnded = true
    if (!this.answered) return this.answer({ error })
    // Failures are made only when they are the ending (a BackendError captures a stack: not for nothing).
    if (this.abortedByUs || this.buffer.settled) return
    const code = (error as { code?: string }).code
    const idle = this.options.idleTimeoutMs
    this.buffer.fail(code === "UND_ERR_BODY_TIMEOUT" ? UpstreamErrors.idleTimeout(idle) : UpstreamErrors.broken())
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
    if (!this.buffer.settled) this.decode(this.decoder.feed(bytes))
  }

  /** SSE messages → chunks into the buffer, then the ending if they held it. */
  private decode(messages: ReadonlyArray<Sse.SseMessage>): void {
    let chunks: Array<ChatCompletions.ChatCompletionChunk> | undefined
    for (const message of messages) {
      const input = ChunkDecode.fromData(message.data)
      if (!("_tag" in input)) {
        ;(chunks ??= []).push(input)
        continue
      }
      if (chunks !== undefined) this.buffer.offerAll(chunks)
      if (input._tag === "Failed") return this.buffer.fail(UpstreamErrors.inStream(input.message, input.code))
      this.sawDone = true
      return this.buffer.end()
    }
    if (chunks !== undefined) this.buffer.offerAll(chunks)
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
