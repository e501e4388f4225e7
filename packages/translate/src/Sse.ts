/**
 * Server-sent events: encoding Responses events, decoding any SSE byte stream (chunked anywhere, CRLF or LF,
 * comments, `[DONE]`, UTF-8 split across reads) with `eventsource-parser`, the parser the openai SDK's
 * ecosystem and the Vercel AI SDK use.
 * @since 0.1.0
 */
import type { ResponseEvents } from "@parlance/schema"
import * as Stream from "effect/Stream"
import { createParser } from "eventsource-parser"

/** @category models */
export interface SseMessage {
  readonly event: string | undefined
  readonly data: string
  readonly id: string | undefined
}

/** One Responses event as an SSE frame: `event: <type>` then its JSON on one `data:` line. */
export const encodeEvent = (event: ResponseEvents.ResponseStreamEvent): string =>
  event.type === "response.output_text.delta" && isPlainTextDelta(event)
    ? encodeTextDelta(event)
    : `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`

type TextDelta = Extract<ResponseEvents.ResponseStreamEvent, { readonly type: "response.output_text.delta" }>
const textDeltaKeys = ["type", "item_id", "output_index", "content_index", "delta", "logprobs", "sequence_number"]

/** Exactly the sequencer's text delta: these keys in this order, no logprobs (so the template below is its JSON). */
const isPlainTextDelta = (event: TextDelta): boolean => {
  if (event.logprobs.length !== 0) return false
  let i = 0
  for (const key in event) if (key !== textDeltaKeys[i++]) return false
  return i === textDeltaKeys.length
}

/**
 * The most frequent event (one per token), written without `JSON.stringify` walking the object: byte for byte
 * what the generic encoding gives (property-tested), at a third of its cost.
 */
const encodeTextDelta = (event: TextDelta): string =>
  `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":${JSON.stringify(event.item_id)},"output_index":${JSON.stringify(event.output_index)},"content_index":${JSON.stringify(event.content_index)},"delta":${JSON.stringify(event.delta)},"logprobs":[],"sequence_number":${JSON.stringify(event.sequence_number)}}\n\n`

/** A Chat Completions chunk as the SSE frame an upstream server sends. */
export const encodeData = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`

/** The end marker of Chat Completions streams. */
export const done = "data: [DONE]\n\n"

/** @category models */
export interface Decoder {
  readonly feed: (input: Uint8Array | string) => ReadonlyArray<SseMessage>
  /** Flush a final event that had no trailing blank line, and any partial UTF-8 sequence. */
  readonly end: () => ReadonlyArray<SseMessage>
}

/** A push decoder: feed bytes or text as they arrive, get the complete messages so far. */
export const makeDecoder = (): Decoder => {
  let out: Array<SseMessage> = []
  const parser = createParser({
    onEvent: (message) => {
      out.push({ event: message.event, data: message.data, id: message.id })
    }
  })
  const utf8 = new TextDecoder("utf-8")
  const take = () => {
    const messages = out
    out = []
    return messages
  }
  return {
    feed: (input) => {
      parser.feed(typeof input === "string" ? input : utf8.decode(input, { stream: true }))
      return take()
    },
    end: () => {
      const rest = utf8.decode()
      // A last event without its blank line is complete data; a blank line dispatches it.
      parser.feed(`${rest}\n\n`)
      return take()
    }
  }
}

/** Decode a whole capture. */
export const decodeText = (text: string): ReadonlyArray<SseMessage> => {
  const decoder = makeDecoder()
  return [...decoder.feed(text), ...decoder.end()]
}

/** Decode a byte stream into SSE messages. */
export const decodeStream = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseMessage, E, R> =>
  Stream.suspend(() => {
    const decoder = makeDecoder()
    return bytes.pipe(
      Stream.map((chunk) => decoder.feed(chunk)),
      Stream.flattenIterable,
      Stream.concat(Stream.suspend(() => Stream.fromIterable(decoder.end())))
    )
  })
