/**
 * The two dialects of the Responses stream (docs/architecture.md#dialects). OpenAI's (the default) and the Open
 * Responses specification's name the same events differently in one place, and end the stream differently:
 *
 * | | OpenAI (`openai` SDK 7.60) | Open Responses (OpenAPI 2026-04-24, specification text) |
 * |---|---|---|
 * | raw reasoning deltas | `response.reasoning_text.delta` / `.done` | `response.reasoning.delta` / `.done` (same fields) |
 * | end of the stream | the terminal event | the terminal event, then `data: [DONE]` ("MUST be the literal string") |
 *
 * Everything else (items, parts, the Response object, the other event names and fields) is the same in both.
 * OpenAI's extensions the spec lacks (`custom_tool_call`, its input events, `response.compaction.compacting`)
 * keep OpenAI's names in both: they appear only when a client asks for OpenAI's features.
 *
 * The sequencer speaks OpenAI's names, always: one grammar. The renaming happens here, at the SSE encode edge,
 * and back again for the checker (`toOpenAi`), so a spec-dialect capture is judged by the same rules.
 * @since 0.1.0
 */
import type { ResponseEvents } from "@parlance/schema"
import * as Sse from "./Sse.js"

/** @category models */
export type Dialect = "openai" | "openresponses"

/** @category constants */
export const dialects: ReadonlyArray<Dialect> = ["openai", "openresponses"]

/** OpenAI's event type → the spec's, where they differ. @category constants */
export const specNames: Readonly<Record<string, string>> = {
  "response.reasoning_text.delta": "response.reasoning.delta",
  "response.reasoning_text.done": "response.reasoning.done"
}

const openAiNames: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(specNames).map(([openai, spec]) => [spec, openai])
)

/** An event type as `dialect` names it. @category renaming */
export const nameIn = (type: string, dialect: Dialect): string =>
  dialect === "openresponses" ? (specNames[type] ?? type) : type

/** An event type of either dialect as OpenAI names it (what the sequencer and the checker speak). @category renaming */
export const toOpenAi = (type: string): string => openAiNames[type] ?? type

type Event = ResponseEvents.ResponseStreamEvent

/** One event as an SSE frame in `dialect`. @category encoding */
export const encodeEvent = (event: Event, dialect: Dialect): string => {
  if (dialect === "openai") return Sse.encodeEvent(event)
  const type = specNames[event.type]
  return type === undefined ? Sse.encodeEvent(event) : `event: ${type}\ndata: ${JSON.stringify({ ...event, type })}\n\n`
}

/** A batch of events as SSE text in `dialect`; `last` (the batch holding the terminal event) adds the spec's end marker. @category encoding */
export const encodeBatch = (events: ReadonlyArray<Event>, dialect: Dialect, last: boolean): string => {
  let text = ""
  for (const event of events) text += encodeEvent(event, dialect)
  return last && dialect === "openresponses" ? text + Sse.done : text
}

const terminalTypes = new Set(["response.completed", "response.failed", "response.incomplete"])

/**
 * Whole SSE frames written in OpenAI's names (a background response's kept events) as `dialect` names them, the
 * same bytes for OpenAI's. Only the frames whose name differs are decoded and written again; `ended` says whether
 * the text's last frame is the terminal event (the spec's `[DONE]` follows it, once the reader has it).
 * @category encoding
 */
export const renameFrames = (text: string, dialect: Dialect): { readonly text: string; readonly ended: boolean } => {
  const frames = text.split("\n\n")
  // `text` ends with a frame's blank line: the last piece is empty.
  const last = frames.length >= 2 ? frames[frames.length - 2]! : ""
  const ended = terminalTypes.has(/^event: (.*)$/m.exec(last)?.[1] ?? "")
  if (dialect === "openai") return { text, ended }
  let out = ""
  for (const frame of frames) {
    if (frame === "") continue
    const name = /^event: (.*)$/m.exec(frame)?.[1]
    const data = /^data: (.*)$/m.exec(frame)?.[1]
    out +=
      name !== undefined && specNames[name] !== undefined && data !== undefined
        ? encodeEvent(JSON.parse(data) as Event, dialect)
        : `${frame}\n\n`
  }
  return { text: out, ended }
}
