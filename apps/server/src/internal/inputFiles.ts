/**
 * `input_file` parts → their text, read before translation (which stays pure): `file_data` (a data URL, or
 * bare base64 typed by the file name) or `file_url` (http(s), with a size limit and a timeout). The text
 * reaches the model with the file's name. A file that cannot be read — unknown type, encrypted PDF,
 * `file_id` (there is no Files API), a URL that fails — is a 400 naming the part (`input[0].content[1]`).
 */
import type { ResponsesInput } from "@parlance/schema"
import type { ToChatRequest } from "@parlance/translate"
import * as Effect from "effect/Effect"
import * as ApiError from "../ApiError.js"
import { fileText, supported, Unreadable } from "./fileText.js"
import { isPublicHost } from "./publicAddress.js"

/** @category models */
export interface InputFileOptions {
  /** Largest file accepted from a `file_url`, in bytes. */
  readonly maxBytes: number
  /** How long a `file_url` may take to arrive in full, in ms. */
  readonly timeoutMs: number
  /** Fetch from loopback and private addresses too (`--file-url-private`); off: public hosts only (no SSRF). */
  readonly allowPrivateHosts?: boolean
}

const maxRedirects = 5

export const defaultInputFileOptions: InputFileOptions = { maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000 }

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
    return base64.test(data) ? { bytes: Buffer.from(data, "base64"), mime: "" } : new Unreadable("has file_data that is neither a data URL nor base64")
  }
  const [meta, payload] = [match[1]!, match[2]!]
  const params = meta.split(";")
  const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === "base64")
  if (isBase64 && !base64.test(payload)) return new Unreadable("has a data URL whose base64 is invalid")
  try {
    return { bytes: isBase64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "utf8"), mime: params[0]! }
  } catch {
    return new Unreadable("has a data URL that cannot be decoded")
  }
}

/** GET the URL: http(s) only, at most `maxBytes`, all of it within `timeoutMs`. */
export const fetchFile = async (url: string, options: InputFileOptions): Promise<Bytes | Unreadable> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return new Unreadable("has a file_url that is not a URL")
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return new Unreadable("has a file_url that is not http(s)")
  const signal = AbortSignal.timeout(options.timeoutMs)
  const tooLarge = new Unreadable(`has a file_url larger than the server's limit of ${options.maxBytes} bytes`)
  const late = new Unreadable(`has a file_url that did not arrive within ${options.timeoutMs} ms`)
  try {
    // Redirects are followed by hand, so that every hop's host is checked.
    let response: Response
    for (let hop = 0; ; hop++) {
      if (options.allowPrivateHosts !== true && !(await isPublicHost(parsed.hostname))) {
        return new Unreadable("has a file_url whose host is not a public address")
      }
      response = await fetch(parsed, { signal, redirect: "manual" })
      const location = response.headers.get("location")
      if (response.status < 300 || response.status >= 400 || location === null) break
      await response.body?.cancel()
      if (hop >= maxRedirects) return new Unreadable("has a file_url that redirects too often")
      parsed = new URL(location, parsed)
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return new Unreadable("has a file_url that redirects to a URL that is not http(s)")
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel()
      return new Unreadable(`has a file_url that answered HTTP ${response.status}`)
    }
    if (Number(response.headers.get("content-length") ?? 0) > options.maxBytes) {
      await response.body.cancel()
      return tooLarge
    }
    const chunks: Array<Uint8Array> = []
    let size = 0
    const reader = response.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > options.maxBytes) {
        await reader.cancel()
        return tooLarge
      }
      chunks.push(value)
    }
    return { bytes: Buffer.concat(chunks), mime: response.headers.get("content-type") ?? "" }
  } catch {
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
        ? await fetchFile(part.file_url, options)
        : part.file_id != null
          ? new Unreadable("names a file_id, but this server has no Files API; send file_data (a data URL) or file_url")
          : new Unreadable(`has no file_data or file_url (${supported} files are read from either)`)
  if (source instanceof Unreadable) return source
  const text = await fileText(source.bytes, source.mime, filename)
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
            ? Effect.fail(ApiError.badRequest(`The file '${nameOf(part)}' at ${param} ${text.message}.`, param, "invalid_input_file"))
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
