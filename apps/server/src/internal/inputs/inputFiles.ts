/**
 * `input_file` parts → their text, read before translation (which stays pure): `file_data` (a data URL, or
 * bare base64 typed by the file name) or `file_url` (http(s), with a size limit, a timeout and an address
 * policy — public addresses only by default, see `FileUrlPolicy`). The text
 * reaches the model with the file's name. A file that cannot be read — unknown type, encrypted PDF,
 * `file_id` (there is no Files API), a URL that fails — is a 400 naming the part (`input[0].content[1]`).
 */
import type { ResponsesInput } from "@parlance/schema"
import type { ToChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import { lookup } from "node:dns/promises"
import { type IncomingMessage, request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import type { LookupFunction } from "node:net"
import * as ApiError from "../../ApiError.js"
import { defaultPdfLimits, fileText, type PdfLimits, supported, Unreadable } from "./fileText.js"
import { isIp, isPublic } from "./publicAddress.js"

/**
 * Which `file_url`s the server fetches: none (`off`), those whose hosts resolve to public addresses only
 * (`public`, the default: no loopback, private, link-local, metadata… addresses), or any (`any`, for a
 * trusted network whose file servers are private).
 */
export type FileUrlPolicy = "off" | "public" | "any"

/** @category models */
export interface InputFileOptions {
  /** Largest file accepted from a `file_url`, in bytes. */
  readonly maxBytes: number
  /** How long a `file_url` may take to arrive in full (redirects included), in ms. */
  readonly timeoutMs: number
  /** Which `file_url`s are fetched at all. */
  readonly urls: FileUrlPolicy
  /** Caps on reading a PDF (default `defaultPdfLimits`: 200 pages, 1,000,000 characters). */
  readonly pdf?: PdfLimits | undefined
}

export const defaultInputFileOptions: InputFileOptions = {
  maxBytes: 20 * 1024 * 1024,
  timeoutMs: 10_000,
  urls: "public"
}

type Item = ToChatRequest.HistoryItem
type InputFile = ResponsesInput.InputFile

interface Located {
  readonly part: InputFile
  readonly param: string
}

/** Every input_file part of these items (message content, tool outputs), with the param that names it. */
export const filesOf = (items: ReadonlyArray<{ readonly item: Item; readonly param: string }>): Array<Located> =>
  items.flatMap(({ item, param }) => {
    const type = item.type ?? "message"
    const parts = type === "message" && "content" in item ? item.content : "output" in item ? item.output : undefined
    if (!Array.isArray(parts)) return []
    const field = type === "message" ? "content" : "output"
    return (parts as ReadonlyArray<{ readonly type: string }>).flatMap((part, j) =>
      part.type === "input_file" ? [{ part: part as InputFile, param: `${param}.${field}[${j}]` }] : []
    )
  })

interface Bytes {
  readonly bytes: Uint8Array
  readonly mime: string
}

const base64 = /^[A-Za-z0-9+/=\s]*$/

/** `data:<type>[;base64],<data>`, or bare base64 (then the file name says the type). */
export const decodeFileData = (data: string): Bytes | Unreadable => {
  const match = /^data:([^,]*?),(.*)$/s.exec(data)
  if (match === null) {
    return base64.test(data)
      ? { bytes: Buffer.from(data, "base64"), mime: "" }
      : new Unreadable("has file_data that is neither a data URL nor base64")
  }
  const [meta, payload] = [match[1]!, match[2]!]
  const params = meta.split(";")
  const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === "base64")
  if (isBase64 && !base64.test(payload)) return new Unreadable("has a data URL whose base64 is invalid")
  try {
    return {
      bytes: isBase64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "utf8"),
      mime: params[0]!
    }
  } catch {
    return new Unreadable("has a data URL that cannot be decoded")
  }
}

/** The connection a URL may make: where its host resolved, checked, so the socket goes there and nowhere else. */
interface Pinned {
  readonly address: string
  readonly family: number
}

/** How `fetchFile` resolves hosts and judges addresses; tests inject their own. */
export interface FetchDeps {
  readonly resolve: (host: string) => Promise<ReadonlyArray<Pinned>>
  readonly isPublic: (address: string) => boolean
}

const systemDeps: FetchDeps = { resolve: (host) => lookup(host, { all: true, verbatim: true }), isPublic }

const maxRedirects = 3
const redirects = new Set([301, 302, 303, 307, 308])
const publicOnly = "this server fetches files from public addresses only"

/** The host's addresses (every one, so a host with one private answer is refused) → the one to connect to. */
const pin = async (url: URL, hop: number, options: InputFileOptions, deps: FetchDeps): Promise<Pinned | Unreadable> => {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
  const addresses = isIp(host)
    ? [{ address: host, family: host.includes(":") ? 6 : 4 }]
    : await deps.resolve(host).catch(() => [])
  if (addresses.length === 0) return new Unreadable(`has a file_url whose host does not resolve`)
  if (options.urls === "public" && !addresses.every((a) => deps.isPublic(a.address))) {
    return new Unreadable(
      `has a file_url ${hop === 0 ? "whose host" : "that redirects to a host that"} is not a public address; ${publicOnly}`
    )
  }
  return addresses[0]!
}

/** One GET whose socket connects to `to` (a literal IP host is connected to as is: it is what was checked). */
const get = (url: URL, to: Pinned, signal: AbortSignal): Promise<IncomingMessage> =>
  new Promise((resolve, reject) => {
    const pinned: LookupFunction = (_host, lookupOptions, callback) =>
      // biome-ignore lint/suspicious/noExplicitAny: LookupFunction types its callback for the one-address form only
      lookupOptions.all === true ? (callback as any)(null, [to]) : callback(null, to.address, to.family)
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      url,
      {
        method: "GET",
        signal,
        lookup: pinned,
        agent: false,
        headers: { "accept-encoding": "identity", "user-agent": "parlance" }
      },
      resolve
    )
    request.on("error", reject)
    request.end()
  })

/**
 * GET the URL: http(s) only, at most `maxBytes`, all of it (redirects included) within `timeoutMs`. Under the
 * `public` policy every host — the first and each of at most 3 redirects, followed here and not by the HTTP
 * client — must resolve to public addresses only, and the socket connects to the address that was checked,
 * so a DNS answer that changes between check and connect (rebinding) cannot point it elsewhere.
 */
export const fetchFile = async (
  url: string,
  options: InputFileOptions,
  deps: FetchDeps = systemDeps
): Promise<Bytes | Unreadable> => {
  let current: URL
  try {
    current = new URL(url)
  } catch {
    return new Unreadable("has a file_url that is not a URL")
  }
  const signal = AbortSignal.timeout(options.timeoutMs)
  const tooLarge = new Unreadable(`has a file_url larger than the server's limit of ${options.maxBytes} bytes`)
  const late = new Unreadable(`has a file_url that did not arrive within ${options.timeoutMs} ms`)
  let response: IncomingMessage | undefined
  try {
    for (let hop = 0; ; hop++) {
      if (current.protocol !== "http:" && current.protocol !== "https:") {
        return new Unreadable(
          hop === 0
            ? "has a file_url that is not http(s)"
            : "has a file_url that redirects to a URL that is not http(s)"
        )
      }
      const to = await pin(current, hop, options, deps)
      if (to instanceof Unreadable) return to
      response = await get(current, to, signal)
      const status = response.statusCode ?? 0
      if (!redirects.has(status)) break
      response.destroy()
      const location = response.headers.location
      if (location === undefined)
        return new Unreadable(`has a file_url that answered HTTP ${status} without a location`)
      if (hop === maxRedirects)
        return new Unreadable(`has a file_url that redirects too often (more than ${maxRedirects} times)`)
      try {
        current = new URL(location, current)
      } catch {
        return new Unreadable("has a file_url that redirects to something that is not a URL")
      }
    }
    if (response.statusCode! < 200 || response.statusCode! >= 300) {
      response.destroy()
      return new Unreadable(`has a file_url that answered HTTP ${response.statusCode}`)
    }
    const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase()
    if (encoding !== "identity" && encoding !== "") {
      response.destroy()
      return new Unreadable(
        `has a file_url served with content-encoding '${encoding}'; the server asks for (and reads) identity only`
      )
    }
    if (Number(response.headers["content-length"] ?? 0) > options.maxBytes) {
      response.destroy()
      return tooLarge
    }
    const chunks: Array<Uint8Array> = []
    let size = 0
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.byteLength
      if (size > options.maxBytes) {
        response.destroy()
        return tooLarge
      }
      chunks.push(chunk)
    }
    if (!response.complete) return signal.aborted ? late : new Unreadable("has a file_url whose answer was cut short")
    const type = response.headers["content-type"]
    return { bytes: Buffer.concat(chunks), mime: type ?? "" }
  } catch {
    response?.destroy()
    return signal.aborted ? late : new Unreadable("has a file_url that could not be fetched")
  }
}

const nameOf = (part: InputFile): string => {
  if (part.filename != null && part.filename !== "") return part.filename
  if (part.file_url != null) {
    try {
      const last = new URL(part.file_url).pathname.split("/").pop()
      if (last !== undefined && last !== "") return decodeURIComponent(last)
    } catch {
      // not a URL: fetchFile says so
    }
  }
  return "file"
}

/** What the model sees: the file's name, then its text. */
export const asModelText = (filename: string, text: string): string =>
  `<file name=${JSON.stringify(filename)}>\n${text.replace(/\s+$/, "")}\n</file>`

const readOne = async (part: InputFile, options: InputFileOptions): Promise<string | Unreadable> => {
  const filename = nameOf(part)
  const source =
    part.file_data != null
      ? decodeFileData(part.file_data)
      : part.file_url != null
        ? options.urls === "off"
          ? new Unreadable(
              "has a file_url, but this server does not fetch URLs; send the file as file_data (a data URL)"
            )
          : await fetchFile(part.file_url, options)
        : part.file_id != null
          ? new Unreadable("names a file_id, but this server has no Files API; send file_data (a data URL) or file_url")
          : new Unreadable(`has no file_data or file_url (${supported} files are read from either)`)
  if (source instanceof Unreadable) return source
  const text = await fileText(source.bytes, source.mime, filename, options.pdf ?? defaultPdfLimits)
  return text instanceof Unreadable ? text : asModelText(filename, text)
}

/** Reads every file; the first one that cannot be read fails the request with a 400 naming its part. */
export const readInputFiles = (
  items: ReadonlyArray<{ readonly item: Item; readonly param: string }>,
  options: InputFileOptions
): Effect.Effect<ToChatRequest.FileText, ApiError.ApiError> => {
  const files = filesOf(items)
  if (files.length === 0) return Effect.succeed(() => undefined)
  return Effect.forEach(
    files,
    ({ part, param }) =>
      Effect.promise(() => readOne(part, options).catch(() => new Unreadable("could not be read"))).pipe(
        Effect.flatMap((text) =>
          text instanceof Unreadable
            ? Effect.fail(
                ApiError.badRequest(
                  `The file '${nameOf(part)}' at ${param} ${text.message}.`,
                  param,
                  "invalid_input_file"
                )
              )
            : Effect.succeed([part, text] as const)
        )
      ),
    { concurrency: 4 }
  ).pipe(
    Effect.map((read) => {
      // By identity: the translator is handed these very part objects.
      const texts = new Map<InputFile, string>(read)
      return (part: InputFile) => texts.get(part)
    })
  )
}
