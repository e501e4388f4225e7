/**
 * `parlance replay`'s core, pure: recognise a capture (a vector — a `--record-dir` recording is one — a raw SSE
 * file of Responses events, or a chunk file), re-run the translation with the vector's own context (its ids,
 * clock readings and sealed blobs: `Vector.replay`), validate the events, and build a vector from chunks.
 */
import { Sse, ValidateStream, Vector } from "@parlance/translate"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { isDeepStrictEqual } from "node:util"
import { isObject } from "./json.js"

/** A recognised capture. Chunks are parsed objects, or raw `data:` payloads as strings (`[DONE]`, garbage). */
export type Capture =
  | {
      readonly _tag: "Stream"
      readonly vector: Vector.StreamVector
      /** Written by the server's `--record-dir` (it carries the requests), rather than by hand or a generator. */
      readonly recorded: boolean
    }
  | { readonly _tag: "Request"; readonly vector: Vector.RequestVector }
  | {
      readonly _tag: "Events"
      readonly events: ReadonlyArray<unknown>
      readonly names: ReadonlyArray<string | undefined>
    }
  | { readonly _tag: "Chunks"; readonly chunks: ReadonlyArray<unknown> }

const decodeVector = Schema.decodeUnknownResult(Vector.Vector, { onExcessProperty: "error" })

const parseOrRaw = (data: string): unknown => {
  try {
    const parsed: unknown = JSON.parse(data)
    return isObject(parsed) ? parsed : data
  } catch {
    return data
  }
}

const looksLikeEvent = (v: unknown) =>
  isObject(v) && typeof v.type === "string" && (v.type.startsWith("response.") || v.type === "error")

/** What kind of capture a file holds; a string says why it is none. */
export const classify = (text: string): Capture | string => {
  let whole: unknown
  try {
    whole = JSON.parse(text)
  } catch {
    whole = undefined
  }
  if (isObject(whole) && (whole.kind !== undefined || (Array.isArray(whole.chunks) && Array.isArray(whole.events)))) {
    const decoded = decodeVector(whole)
    if (Result.isFailure(decoded))
      return `not a valid vector (packages/translate/vectors/README.md): ${String(decoded.failure)}`
    const vector = decoded.success
    return vector.kind === "request"
      ? { _tag: "Request", vector }
      : { _tag: "Stream", vector, recorded: vector.request !== undefined }
  }
  if (Array.isArray(whole)) return { _tag: "Chunks", chunks: whole }
  if (isObject(whole)) return { _tag: "Chunks", chunks: [whole] }
  if (/^(data|event):/m.test(text)) {
    const messages = Sse.decodeText(text)
    const frames = messages.filter((m) => m.data !== "[DONE]")
    const parsed = frames.map((m) => parseOrRaw(m.data))
    if (parsed.some(looksLikeEvent)) return { _tag: "Events", events: parsed, names: frames.map((m) => m.event) }
    const chunks = messages.map((m) => parseOrRaw(m.data))
    return chunks.length > 0 ? { _tag: "Chunks", chunks } : "the SSE file carries no data"
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "")
  if (lines.length === 0) return "the file is empty"
  const chunks = lines.map((l) => parseOrRaw(l.trim()))
  if (chunks.every((c) => typeof c === "string"))
    return "not a recording, an SSE capture or a chunk file (no line is JSON)"
  return { _tag: "Chunks", chunks }
}

/** @category models */
export interface Analysis {
  readonly kind: "recording" | "vector" | "sse" | "chunks"
  /** The stream vector the events came from (a chunk file's is made with a fresh context). */
  readonly vector?: Vector.StreamVector
  readonly events: ReadonlyArray<unknown>
  /** Every grammar finding (violations, warnings, notes). */
  readonly findings: ReadonlyArray<ValidateStream.Finding>
  readonly violations: ReadonlyArray<ValidateStream.Violation>
  /** For recordings and vectors: whether re-running the sequencer gave exactly the stored events. */
  readonly reproduced?: {
    readonly exact: boolean
    readonly firstDifference: number | undefined
    readonly recorded: number
  }
  /** What replaying the vector found different (ids or clock readings left over, the first differing event). */
  readonly mismatches?: ReadonlyArray<string>
  /** The chunks the sequencer ran on (absent for SSE of events). */
  readonly chunks?: ReadonlyArray<unknown>
}

const firstDifference = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): number | undefined => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!isDeepStrictEqual(a[i], b[i])) return i
  return undefined
}

const compare = (events: ReadonlyArray<unknown>, recorded: ReadonlyArray<unknown>) => {
  const diff = firstDifference(events, recorded)
  return { exact: diff === undefined, firstDifference: diff, recorded: recorded.length }
}

/** The grammar findings of a stream, and its violations (with `strict`, warnings too). */
const judged = (events: ReadonlyArray<unknown>, strict: boolean, eventNames?: ReadonlyArray<string | undefined>) => {
  const findings = ValidateStream.checkStream(events, { strict, ...(eventNames ? { eventNames } : {}) })
  return { findings, violations: findings.filter((f) => f.severity === "violation") }
}

/** A stream capture → its replay and judgement (a request vector is replayed by `Vector.replay` alone). */
export const analyze = (capture: Exclude<Capture, { _tag: "Request" }>, strict = false): Analysis => {
  switch (capture._tag) {
    case "Stream": {
      const { vector } = capture
      const replayed = Vector.replay(vector)
      const events = (replayed.actual ?? []) as ReadonlyArray<unknown>
      return {
        kind: capture.recorded ? "recording" : "vector",
        vector,
        events,
        ...judged(events, strict),
        reproduced: compare(events, vector.events),
        mismatches: replayed.mismatches,
        chunks: vector.chunks
      }
    }
    case "Events":
      return { kind: "sse", events: capture.events, ...judged(capture.events, strict, capture.names) }
    case "Chunks": {
      const vector = Vector.fromChunks({ name: "chunks", description: "", chunks: capture.chunks })
      return { kind: "chunks", vector, events: vector.events, ...judged(vector.events, strict), chunks: capture.chunks }
    }
  }
}
