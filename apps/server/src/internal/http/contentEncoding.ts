/**
 * Compressed request bodies (`Content-Encoding`): gzip, deflate and br through Node's zlib, zstd through
 * fzstd (pure JS: Node 20's zlib has no zstd, and native bindings would need a binary download at install).
 * The limit bounds the *decoded* size, and decoding stops as soon as it is passed, so a small bomb costs at
 * most `limit` bytes of memory and answers 413.
 */
import { Decompress } from "fzstd"
import * as zlib from "node:zlib"
import { checkFrames } from "../stores/zstdFrames.js"

export type Coding = "gzip" | "deflate" | "br" | "zstd"

export type Decoded =
  | { readonly _tag: "Ok"; readonly bytes: Buffer }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Invalid"; readonly coding: Coding }

const aliases: Readonly<Record<string, Coding | "identity">> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "br",
  zstd: "zstd",
  identity: "identity"
}

/**
 * The codings of a `Content-Encoding` header in the order they must be undone (the header lists them in
 * the order they were applied), or the first one not supported.
 */
export const parseCodings = (
  header: string | undefined
):
  | { readonly _tag: "Ok"; readonly codings: ReadonlyArray<Coding> }
  | { readonly _tag: "Unsupported"; readonly coding: string } => {
  const codings: Array<Coding> = []
  for (const token of (header ?? "").split(",")) {
    const name = token.trim().toLowerCase()
    if (name === "") continue
    const coding = aliases[name]
    if (coding === undefined) return { _tag: "Unsupported", coding: name.slice(0, 40) }
    if (coding !== "identity") codings.unshift(coding)
  }
  return { _tag: "Ok", codings }
}

const isTooLarge = (error: unknown) => (error as { code?: string } | null)?.code === "ERR_BUFFER_TOO_LARGE"

const zlibDecode = (
  run: (
    input: Buffer,
    options: zlib.ZlibOptions & zlib.BrotliOptions,
    callback: (error: Error | null, out: Buffer) => void
  ) => void,
  input: Buffer,
  limit: number
): Promise<Buffer | "too-large" | "invalid"> =>
  new Promise((resolve) => {
    // maxOutputLength makes zlib stop (and fail) at the limit instead of inflating a bomb in full.
    run(input, { maxOutputLength: Math.max(1, limit) }, (error, out) =>
      resolve(error === null ? out : isTooLarge(error) ? "too-large" : "invalid")
    )
  })

const inflateAny = async (input: Buffer, limit: number) => {
  // `deflate` means zlib-wrapped (RFC 9110 §8.4.1.2), but some clients send raw deflate, as browsers accept.
  const wrapped = await zlibDecode(zlib.inflate, input, limit)
  return wrapped === "invalid" ? zlibDecode(zlib.inflateRaw, input, limit) : wrapped
}

class ZstdTooLarge extends Error {}

const zstdDecode = (input: Buffer, limit: number): Buffer | "too-large" | "invalid" => {
  const frames = checkFrames(input, limit)
  if (frames._tag === "TooLarge") return "too-large"
  if (frames._tag === "Invalid") return "invalid"
  const parts: Array<Uint8Array> = []
  let size = 0
  try {
    // Streaming, so the output arrives block by block (≤ 128 KiB each) and the count can stop it.
    const decoder = new Decompress((part) => {
      size += part.length
      if (size > limit) throw new ZstdTooLarge()
      parts.push(part)
    })
    decoder.push(input, true)
  } catch (error) {
    return error instanceof ZstdTooLarge ? "too-large" : "invalid"
  }
  return Buffer.concat(parts, size)
}

const decodeOne = (coding: Coding, input: Buffer, limit: number): Promise<Buffer | "too-large" | "invalid"> => {
  switch (coding) {
    case "gzip":
      return zlibDecode(zlib.gunzip, input, limit)
    case "deflate":
      return inflateAny(input, limit)
    case "br":
      return zlibDecode(zlib.brotliDecompress, input, limit)
    case "zstd":
      return Promise.resolve(zstdDecode(input, limit))
  }
}

/** Undoes `codings` in order; every intermediate and the final result stay within `limit` bytes. */
export const decode = async (codings: ReadonlyArray<Coding>, input: Buffer, limit: number): Promise<Decoded> => {
  let bytes = input
  for (const coding of codings) {
    const out = await decodeOne(coding, bytes, limit)
    if (out === "too-large") return { _tag: "TooLarge" }
    if (out === "invalid") return { _tag: "Invalid", coding }
    bytes = out
  }
  return { _tag: "Ok", bytes }
}
