/**
 * Reading a JSON request body, with one clear OpenAI error for every way it can be wrong:
 * - 415 for a media type other than JSON (`application/json`, `application/*+json`). `text/plain` or no type
 *   at all is read as JSON too — scripts often POST `JSON.stringify(body)` without a header, and fetch then
 *   says `text/plain` — but not from a browser (a request with an `Origin` header): there it would be a
 *   cross-site "simple" request, which a browser sends without asking CORS first.
 * - 415 for a `Content-Encoding` other than gzip, deflate, br, zstd (and identity).
 * - 413 past the limit — declared, chunked or decompressed alike: the limit bounds the decoded size.
 * - 400 for bytes that are not UTF-8, not JSON (trailing bytes included), not an object, or nested deeper than
 *   the depth limit. A leading UTF-8 BOM is ignored (RFC 8259 §8.1 lets parsers do so; Windows tools add it).
 * The raw bytes are read from Node's request directly, so that a body past the limit is drained rather than
 * the connection reset, and the client reads its 413.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type { IncomingMessage } from "node:http"
import * as ApiError from "../../ApiError.js"
import * as ContentEncoding from "./contentEncoding.js"

export interface BodyLimits {
  /** Bytes, before and after decompression. */
  readonly maxBytes: number
  /** Levels of nested arrays/objects. */
  readonly maxDepth: number
}

/** Past the limit, how much more a client may send (discarded) before the connection is closed. */
const drainBytes = 64 * 1024 * 1024
const drainMs = 10_000

type Raw = { readonly _tag: "Ok"; readonly bytes: Buffer } | { readonly _tag: "TooLarge" } | { readonly _tag: "Broken" }

/**
 * Collects at most `limit` bytes. Past it, answers at once and drains the rest in the background (bounded in
 * bytes and time), because closing a socket with unread data makes the kernel reset it, and the client would
 * see a reset instead of the 413.
 */
const readRaw = (message: IncomingMessage, limit: number, declared: number | undefined): Promise<Raw> =>
  new Promise((resolve) => {
    // Read already (by someone else) or gone: no event will come, so do not wait for one.
    if (message.readableEnded || message.destroyed) return resolve({ _tag: "Broken" })
    const parts: Array<Buffer> = []
    let size = 0
    let over = false
    let drainTimer: ReturnType<typeof setTimeout> | undefined
    const stopDraining = () => {
      clearTimeout(drainTimer)
      message.socket?.destroy()
    }
    message.on("data", (part: Buffer) => {
      size += part.length
      if (over) {
        if (size > limit + drainBytes) stopDraining()
        return
      }
      if (size > limit) {
        over = true
        parts.length = 0
        // The rest is drained here (bounded, below). The platform's own teardown, when the 413 is sent, would
        // close the connection after 256 KiB more of an unread body: it skips a request marked complete.
        message.complete = true
        drainTimer = setTimeout(stopDraining, drainMs)
        drainTimer.unref()
        resolve({ _tag: "TooLarge" })
        return
      }
      parts.push(part)
      // All the declared bytes are here: no need to wait for the stream's end (a tick later).
      if (size === declared) resolve({ _tag: "Ok", bytes: Buffer.concat(parts, size) })
    })
    message.on("end", () => {
      clearTimeout(drainTimer)
      if (!over) resolve({ _tag: "Ok", bytes: Buffer.concat(parts, size) })
    })
    message.on("error", () => {
      clearTimeout(drainTimer)
      resolve({ _tag: "Broken" })
    })
    // The client went away mid-body (a resolved promise ignores this after `end`).
    message.on("close", () => resolve({ _tag: "Broken" }))
  })

/**
 * `application/json`, `application/<x>+json`; `text/plain` or none only without `Origin` (not a browser);
 * a charset other than UTF-8 is refused.
 */
export const acceptsMediaType = (header: string | undefined, fromBrowser: boolean): boolean => {
  if (header === undefined || header.trim() === "") return !fromBrowser
  const [type = "", ...params] = header.split(";").map((s) => s.trim().toLowerCase())
  const json = type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)
  if (!json && (type !== "text/plain" || fromBrowser)) return false
  return params.every((param) => !param.startsWith("charset=") || /^charset="?utf-8"?$/.test(param))
}

/** The depth of nested arrays and objects, without recursion (a hostile body may nest a million levels). */
export const depthExceeds = (value: unknown, max: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (typeof node !== "object" || node === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

const invalidJson = (why: string) =>
  ApiError.badRequest(
    `We could not parse the JSON body of your request: ${why}. (HINT: This likely means you aren't using your HTTP library correctly.)`,
    null,
    "invalid_json"
  )

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** The body's text: media type, encoding and size checked, decompressed, valid UTF-8, BOM removed. */
export const readText = (
  limits: BodyLimits
): Effect.Effect<string, ApiError.ApiError, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const contentType = request.headers["content-type"]
    if (!acceptsMediaType(contentType, request.headers.origin !== undefined)) {
      return yield* Effect.fail(
        ApiError.unsupportedMediaType(
          `The request body must be JSON with 'Content-Type: application/json'${contentType === undefined ? " (none was sent)" : ` (got '${contentType.slice(0, 80)}')`}.`
        )
      )
    }
    const codings = ContentEncoding.parseCodings(request.headers["content-encoding"])
    if (codings._tag === "Unsupported") {
      return yield* Effect.fail(
        ApiError.unsupportedMediaType(
          `Content-Encoding '${codings.coding}' is not supported; use gzip, deflate, br or zstd, or none.`,
          "unsupported_content_encoding"
        )
      )
    }
    const length = request.headers["content-length"]
    const declared = Number(length ?? "0")
    if (declared > limits.maxBytes) return yield* Effect.fail(ApiError.tooLarge(limits.maxBytes))
    const raw = yield* Effect.promise(() =>
      readRaw(
        NodeHttpServerRequest.toIncomingMessage(request) as IncomingMessage,
        limits.maxBytes,
        length === undefined ? undefined : declared
      )
    )
    if (raw._tag === "TooLarge") return yield* Effect.fail(ApiError.tooLarge(limits.maxBytes))
    if (raw._tag === "Broken")
      return yield* Effect.fail(ApiError.badRequest("Could not read the request body.", null, "invalid_body"))
    let bytes = raw.bytes
    if (codings.codings.length > 0) {
      const decoded = yield* Effect.promise(() => ContentEncoding.decode(codings.codings, raw.bytes, limits.maxBytes))
      if (decoded._tag === "TooLarge") return yield* Effect.fail(ApiError.tooLarge(limits.maxBytes, "decompressed "))
      if (decoded._tag === "Invalid") {
        return yield* Effect.fail(
          ApiError.badRequest(`The request body is not valid ${decoded.coding} data.`, null, "invalid_content_encoding")
        )
      }
      bytes = decoded.bytes
    }
    // A UTF-8 BOM is ignored: fatal decoding with ignoreBOM keeps it as U+FEFF, removed here.
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      return yield* Effect.fail(invalidJson("it is not valid UTF-8"))
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  })

/** The body as a JSON object (the text is kept for the pass-through route). */
export const readJsonObject = (
  limits: BodyLimits,
  /** An empty body reads as `{}` (a create whose fields are all optional: `POST /v1/conversations`). */
  options: { readonly emptyIsObject?: boolean } = {}
): Effect.Effect<
  { readonly text: string; readonly body: Record<string, unknown> },
  ApiError.ApiError,
  HttpServerRequest.HttpServerRequest
> =>
  Effect.flatMap(readText(limits), (text) => {
    if (options.emptyIsObject === true && text.trim() === "") return Effect.succeed({ text, body: {} })
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      return Effect.fail(
        invalidJson(text.trim() === "" ? "the body is empty" : String((error as Error).message).slice(0, 200))
      )
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Effect.fail(ApiError.badRequest("The request body must be a JSON object.", null, "invalid_json"))
    }
    if (depthExceeds(body, limits.maxDepth)) {
      return Effect.fail(
        ApiError.badRequest(
          `The request body is nested deeper than ${limits.maxDepth} levels of arrays and objects.`,
          null,
          "nesting_too_deep"
        )
      )
    }
    return Effect.succeed({ text, body: body as Record<string, unknown> })
  })
