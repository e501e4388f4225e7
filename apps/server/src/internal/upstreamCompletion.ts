/**
 * A streamed completion from an upstream, as a Source: undici's `dispatch` pushes each network read into a
 * handler, which decodes it (SSE → chunks) at once and hands the batch to a waiting read. No fetch, web
 * streams, async iterators or Effect per batch: on Node 20 `http.request` costs ~2× and `fetch` ~5× the CPU
 * of a dispatch, and this runs once per token.
 * - The idle limit is undici's `bodyTimeout` (the longest silence between two reads), the wait for headers
 *   its `headersTimeout`.
 * - Read to `[DONE]`, the rest of the body (the chunked terminator) is drained so that the connection goes
 *   back to the keep-alive pool; released earlier (client gone, cancel), the request is aborted at once.
 * - Bytes piling up unread (a slow reader) pause the socket: backpressure reaches the upstream.
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import { ChunkDecode, type Sse } from "@parlance/translate"
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
  readonly decoder: () => Sse.Decoder
}

/**
 * Sends the request; `onOpen` is called once, with the answer (a Source for a 2xx, the text otherwise) or the
 * error that kept it from coming. Returns the abort for a caller who stops waiting.
 */
export const open = (options: Options, onOpen: (result: Opened | { readonly error: unknown }) => void): (() => void) => {
  const decoder = options.decoder()
  let controller: Dispatcher.DispatchController | undefined
  let answered = false
  let status = 0
  let errorText: Array<Buffer> | undefined
  // The Source's state: bytes not decoded yet, chunks decoded and not read yet, then (once known) the ending.
  let raw: Array<Buffer> = []
  let rawBytes = 0
  let pending: Array<ChatCompletions.ChatCompletionChunk> = []
  let final: Source.Batch | undefined
  let waiting: ((batch: Source.Batch) => void) | undefined
  let waking = false
  let sawDone = false
  let bodyEnded = false
  let isReleased = false
  let abortedByUs = false

  const answer = (result: Opened | { readonly error: unknown }) => {
    if (answered) return
    answered = true
    onOpen(result)
  }
  /**
   * The bytes received since the last read, decoded in one go (one UTF-8 decode and SSE parse per read). The
   * very first read decodes only up to its first event: a burst from the upstream must not hold back the
   * response's first bytes (the rest is the next read's).
   */
  let first = true
  let firstPaused = false
  const decodeRaw = () => {
    if (raw.length === 0) return
    let bytes = raw.length === 1 ? raw[0]! : Buffer.concat(raw, rawBytes)
    raw = []
    rawBytes = 0
    if (first) {
      first = false
      const end = firstEventEnd(bytes)
      if (end > 0 && end < bytes.length) {
        raw = [bytes.subarray(end)]
        rawBytes = bytes.length - end
        bytes = bytes.subarray(0, end)
      }
    }
    if (final === undefined) decode(decoder.feed(bytes))
  }
  /** Everything read so far as one batch (chunks first, the ending after them). */
  const take = (): Source.Batch | undefined => {
    decodeRaw()
    if (pending.length > 0) {
      const batch = Source.chunks(pending)
      pending = []
      if (controller?.paused === true) controller.resume()
      return batch
    }
    return final
  }
  // undici hands over one HTTP chunk at a time, all of a network read in one go: a waiting read is answered
  // after them (a microtask later), so that a read of fifty frames is one decode, one batch and one write.
  const wake = () => {
    if (waiting === undefined || waking) return
    waking = true
    queueMicrotask(() => {
      waking = false
      const resolve = waiting
      const batch = take()
      if (resolve === undefined || batch === undefined) return
      waiting = undefined
      resolve(batch)
    })
  }
  /** The ending, made only when it is the first (a BackendError captures a stack: not for nothing). */
  const settle = (batch: () => Source.Batch) => {
    if (final !== undefined) return
    final = batch()
    wake()
  }
  const abort = () => {
    abortedByUs = true
    controller?.abort(new Error("The generation no longer reads this completion."))
  }

  /** One HTTP chunk's SSE messages → chunks pending, then the ending if they held it. */
  const decode = (messages: ReadonlyArray<Sse.SseMessage>) => {
    for (const message of messages) {
      const input = ChunkDecode.fromData(message.data)
      if (!("_tag" in input)) {
        pending.push(input)
        continue
      }
      if (input._tag === "Failed") return settle(() => Source.failed(UpstreamErrors.inStream(input.message, input.code)))
      sawDone = true
      return settle(() => Source.end)
    }
  }

  const source: Source.Source = {
    next: () => {
      const batch = take()
      return batch !== undefined ? Promise.resolve(batch) : new Promise((resolve) => (waiting = resolve))
    },
    release: () => {
      if (isReleased) return
      isReleased = true
      if (!bodyEnded) {
        if (!sawDone) abort()
        else {
          if (controller?.paused === true) controller.resume()
          setTimeout(() => bodyEnded || abort(), drainMs).unref()
        }
      }
      raw = []
      pending = []
      settle(Source.released)
    }
  }

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart: (c) => {
      controller = c
    },
    onResponseStart: (_c, statusCode) => {
      status = statusCode
      if (statusCode >= 200 && statusCode < 300) answer({ status, source })
      else errorText = []
    },
    onResponseData: (_c, data) => {
      if (errorText !== undefined) return void errorText.push(data)
      if (final !== undefined) return
      raw.push(data)
      rawBytes += data.length
      // The first bytes go out before undici parses the rest of a burst: paused after the first HTTP chunk,
      // resumed a turn later, once the first batch is on its way to the client.
      if (first && !firstPaused && controller !== undefined) {
        firstPaused = true
        controller.pause()
        setImmediate(() => isReleased || controller?.resume())
      }
      if (rawBytes >= highWater && controller !== undefined && !controller.paused) controller.pause()
      wake()
    },
    onResponseEnd: () => {
      bodyEnded = true
      if (errorText !== undefined) return answer({ status, text: Buffer.concat(errorText).toString("utf8") })
      // All of it now (the first event's split is for a reader waiting on the first bytes, not for the end).
      first = false
      decodeRaw()
      if (final === undefined) decode(decoder.end())
      // A body that ends without `[DONE]` is a dropped stream.
      settle(() => Source.failed(UpstreamErrors.noDone()))
    },
    onResponseError: (_c, error) => {
      bodyEnded = true
      if (!answered) return answer({ error })
      if (abortedByUs) return settle(Source.released)
      const code = (error as { code?: string }).code
      settle(() => Source.failed(code === "UND_ERR_BODY_TIMEOUT" ? UpstreamErrors.idleTimeout(options.idleTimeoutMs) : UpstreamErrors.broken()))
    }
  }

  options.dispatcher.dispatch(
    {
      path: options.path,
      method: "POST",
      headers: { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) },
      body: options.body,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.idleTimeoutMs
    },
    handler
  )
  return abort
}

/** Where the first SSE event of `bytes` ends (after its blank line), or -1 when it has not ended yet. */
export const firstEventEnd = (bytes: Buffer): number => {
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
