/**
 * A walk over the frames of a Zstandard body (RFC 8878 §3.1) before it is decoded. fzstd allocates each
 * frame's declared window up front — up to 2 GiB for a 20-byte header — so every frame's window and declared
 * content size is checked against the decoded-size limit first. Pure: bytes in, a verdict out.
 */

export type FrameVerdict =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Invalid"; readonly reason: string }

const ZSTD_MAGIC = 0xfd2fb528
const isSkippable = (magic: number) => (magic & 0xfffffff0) >>> 0 === 0x184d2a50

const readLE = (bytes: Uint8Array, at: number, length: number): number => {
  let value = 0
  for (let i = length - 1; i >= 0; i--) value = value * 256 + bytes[at + i]!
  return value
}

/**
 * The largest window accepted: the limit, but at least 8 MiB — what zstd's levels up to 19 use (windowLog 23),
 * so a body compressed by an ordinary streaming encoder decodes even under a small limit.
 */
export const maxWindow = (limit: number): number => Math.max(limit, 8 * 1024 * 1024)

/** Checks every frame header: its declared content size within `limit`, its window within `maxWindow`. */
export const checkFrames = (bytes: Uint8Array, limit: number): FrameVerdict => {
  let at = 0
  if (bytes.length === 0) return { _tag: "Invalid", reason: "empty zstd body" }
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return { _tag: "Invalid", reason: "truncated frame" }
    const magic = readLE(bytes, at, 4) >>> 0
    at += 4
    if (isSkippable(magic)) {
      if (at + 4 > bytes.length) return { _tag: "Invalid", reason: "truncated skippable frame" }
      at += 4 + readLE(bytes, at, 4)
      continue
    }
    if (magic !== ZSTD_MAGIC) return { _tag: "Invalid", reason: "not a zstd frame" }
    if (at >= bytes.length) return { _tag: "Invalid", reason: "truncated frame header" }
    const descriptor = bytes[at++]!
    const contentSizeFlag = descriptor >> 6
    const singleSegment = (descriptor >> 5) & 1
    const checksum = (descriptor >> 2) & 1
    const dictionaryFlag = descriptor & 3
    if (descriptor & 8) return { _tag: "Invalid", reason: "reserved bit set" }
    let window = 0
    if (singleSegment === 0) {
      if (at >= bytes.length) return { _tag: "Invalid", reason: "truncated frame header" }
      const descriptorByte = bytes[at++]!
      const base = 2 ** (10 + (descriptorByte >> 3))
      window = base + (base / 8) * (descriptorByte & 7)
    }
    at += dictionaryFlag === 3 ? 4 : dictionaryFlag
    const sizeBytes = contentSizeFlag === 0 ? singleSegment : 2 ** contentSizeFlag
    if (at + sizeBytes > bytes.length) return { _tag: "Invalid", reason: "truncated frame header" }
    if (sizeBytes > 0) {
      const declared = readLE(bytes, at, sizeBytes) + (sizeBytes === 2 ? 256 : 0)
      if (declared > limit) return { _tag: "TooLarge" }
      if (singleSegment === 1) window = declared
    }
    at += sizeBytes
    if (window > maxWindow(limit)) return { _tag: "TooLarge" }
    // Blocks: a 3-byte header (last flag, type, size); an RLE block carries one byte, raw and compressed `size`.
    for (;;) {
      if (at + 3 > bytes.length) return { _tag: "Invalid", reason: "truncated block" }
      const header = readLE(bytes, at, 3)
      at += 3
      const type = (header >> 1) & 3
      if (type === 3) return { _tag: "Invalid", reason: "reserved block type" }
      at += type === 1 ? 1 : header >> 3
      if (at > bytes.length) return { _tag: "Invalid", reason: "truncated block" }
      if (header & 1) break
    }
    at += checksum * 4
    if (at > bytes.length) return { _tag: "Invalid", reason: "truncated checksum" }
  }
  return { _tag: "Ok" }
}
