/**
 * `parlance replay`'s core, pure: recognise a capture (a `--record-dir` recording, a golden vector, a raw SSE
 * file of Responses events, or a chunk file), re-run the sequencer where there are chunks, validate the
 * events, and build a golden vector from chunks.
 */
import { ChunkDecode, Ids, Sequencer, Sse, ValidateStream } from "@parlance/translate"
import { isDeepStrictEqual } from "node:util"
import { isObject, type Json } from "./json.js"

const str = (v: unknown): string => (typeof v === "string" ? v : "")

/** The part of a vector's context that shapes the events (tool kinds, reasoning mode). */
export interface VectorContext {
  readonly reasoning?: "text" | "summary"
  readonly tools?: Record<string, unknown>
}

/** A recognised capture. Chunks are parsed objects, or raw `data:` payloads as strings (`[DONE]`, garbage). */
export type Capture =
  | {
      readonly _tag: "Recording"
      readonly recording: Json
      readonly chunks: ReadonlyArray<unknown>
      readonly outcome: Json | undefined
    }
  | {
      readonly _tag: "Vector"
      readonly vector: Json
      readonly chunks: ReadonlyArray<unknown>
      readonly context: VectorContext
    }
  | {
      readonly _tag: "Events"
      readonly events: ReadonlyArray<unknown>
      readonly names: ReadonlyArray<string | undefined>
    }
  | { readonly _tag: "Chunks"; readonly chunks: ReadonlyArray<unknown> }

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

const vectorContextOf = (v: unknown): VectorContext => {
  if (!isObject(v)) return {}
  return {
    ...(v.reasoning === "summary" || v.reasoning === "text" ? { reasoning: v.reasoning } : {}),
    ...(isObject(v.tools) ? { tools: v.tools } : {})
  }
}

/** What kind of capture a file holds; a string says why it is none. */
export const classify = (text: string): Capture | string => {
  let whole: unknown
  try {
    whole = JSON.parse(text)
  } catch {
    whole = undefined
  }
  if (isObject(whole) && Array.isArray(whole.chunks) && Array.isArray(whole.events)) {
    const context = whole.context
    if (isObject(context) && typeof context.responseId === "string" && Array.isArray(context.ids)) {
      return {
        _tag: "Recording",
        recording: whole,
        chunks: whole.chunks,
        outcome: isObject(whole.outcome) ? whole.outcome : undefined
      }
    }
    return { _tag: "Vector", vector: whole, chunks: whole.chunks, context: vectorContextOf(context) }
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

/** A chunk (parsed or raw) → the sequencer's input, tolerant as the server is. */
export const toInput = (chunk: unknown): Sequencer.Input =>
  typeof chunk === "string" ? ChunkDecode.fromData(chunk) : ChunkDecode.fromJson(chunk)

/** The deterministic context of golden vectors (`packages/translate/test/vectorReplay.ts`). */
export const vectorContext = (context: VectorContext = {}): Sequencer.Context => ({
  responseId: "resp_vector",
  createdAt: 1_700_000_000,
  clock: () => 1_700_000_001,
  model: "local-model",
  ids: Ids.counter(),
  reasoning: context.reasoning ?? "text",
  tools: new Map(Object.entries(context.tools ?? {})) as Sequencer.Context["tools"]
})

const outcomeInput = (outcome: Json | undefined): ReadonlyArray<Sequencer.Input> => {
  if (outcome?._tag === "Failed") return [Sequencer.failed(str(outcome.code), str(outcome.message))]
  if (outcome?._tag === "Aborted")
    return [typeof outcome.message === "string" ? Sequencer.aborted(outcome.message) : Sequencer.aborted()]
  return []
}

/** The recording's own context: its ids, in the order they were drawn, reproduce its events exactly. */
const recordingContext = (recording: Json): Sequencer.Context => {
  const c = isObject(recording.context) ? recording.context : {}
  const ids = (Array.isArray(c.ids) ? c.ids : []).map(String)
  let next = 0
  // Sealing is randomised: the recorded blobs are handed back in order.
  const sealed = isObject(c.sealed) && Array.isArray(c.sealed.blobs) ? c.sealed : undefined
  const blobs = (
    sealed !== undefined && Array.isArray(sealed.blobs) ? (sealed.blobs as ReadonlyArray<unknown>) : []
  ).map(String)
  let nextBlob = 0
  const replaySeal = () => blobs[nextBlob++] ?? ""
  return {
    ...(sealed?.kind === "compaction"
      ? { sealCompaction: replaySeal }
      : sealed?.kind === "reasoning"
        ? { sealReasoning: replaySeal }
        : {}),
    responseId: str(c.responseId),
    createdAt: Number(c.createdAt),
    clock: () => Number(c.completedAt),
    model: str(c.model),
    ids: (prefix) => ids[next++] ?? `${prefix}_replay${next}`,
    ...(c.echo !== undefined ? { echo: c.echo as Sequencer.Context["echo"] } : {}),
    tools: new Map(Object.entries(isObject(c.tools) ? c.tools : {})) as Sequencer.Context["tools"],
    reasoning: c.reasoning === "summary" ? "summary" : "text"
  }
}

/** @category models */
export interface Analysis {
  readonly kind: "recording" | "vector" | "sse" | "chunks"
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
  /** The chunks and outcome the sequencer ran on (absent for SSE of events). */
  readonly chunks?: ReadonlyArray<unknown>
  readonly outcome?: Json | undefined
  readonly context?: VectorContext
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

export const analyze = (capture: Capture, strict = false): Analysis => {
  switch (capture._tag) {
    case "Recording": {
      const { events } = Sequencer.run(recordingContext(capture.recording), [
        ...capture.chunks.map(toInput),
        ...outcomeInput(capture.outcome)
      ])
      const c = isObject(capture.recording.context) ? capture.recording.context : {}
      const context = vectorContextOf(c)
      const recorded = Array.isArray(capture.recording.events) ? capture.recording.events : []
      return {
        kind: "recording",
        events,
        ...judged(events, strict),
        reproduced: compare(events, recorded),
        chunks: capture.chunks,
        outcome: capture.outcome,
        context
      }
    }
    case "Vector": {
      const outcome = isObject(capture.vector.outcome) ? capture.vector.outcome : undefined
      const { events } = Sequencer.run(vectorContext(capture.context), [
        ...capture.chunks.map(toInput),
        ...outcomeInput(outcome)
      ])
      const recorded = Array.isArray(capture.vector.events) ? capture.vector.events : []
      return {
        kind: "vector",
        events,
        ...judged(events, strict),
        reproduced: compare(events, recorded),
        chunks: capture.chunks,
        outcome,
        context: capture.context
      }
    }
    case "Events":
      return { kind: "sse", events: capture.events, ...judged(capture.events, strict, capture.names) }
    case "Chunks": {
      const { events } = Sequencer.run(vectorContext(), capture.chunks.map(toInput))
      return { kind: "chunks", events, ...judged(events, strict), chunks: capture.chunks, context: {} }
    }
  }
}
