/**
 * Recording one generation (`--record-dir`): the chunks in, the events out, the ids, clock readings and sealed
 * blobs drawn (a stream vector) and the SSE text the client received, handed to the Recorder (which writes asynchronously) once the generation ended.
 */
import type { ChatCompletions, ResponseEvents } from "@parlance/schema"
import { type Ids, type Sequencer, Sse } from "@parlance/translate"
import type * as Effect from "effect/Effect"
import type { RecorderService, Recording } from "../../Recorder.js"
import type { Prepared } from "../inputs/prepare.js"

export interface Tape {
  /** Wraps the id source so that every id drawn is kept (a replay draws the same ones). */
  readonly ids: (ids: Ids.IdGenerator) => Ids.IdGenerator
  /** Wraps the clock so that every reading is kept (a replay reads the same ones). */
  readonly clock: (clock: () => number) => () => number
  /** Wraps a seal so that every blob it makes is kept (sealing is randomised: a replay reuses them). */
  readonly seal: (kind: "reasoning" | "compaction", seal: (text: string) => string) => (text: string) => string
  readonly chunk: (chunk: ChatCompletions.ChatCompletionChunk) => void
  readonly events: (events: Iterable<ResponseEvents.ResponseStreamEvent>) => void
  /** SSE text sent on the wire, holding the next `count` events (so they are not encoded twice). */
  readonly sse: (text: string, count: number) => void
  /** Hands the whole recording to the recorder. */
  readonly save: (meta: {
    readonly backend: string
    readonly startedAt: number
    readonly ctx: Sequencer.Context
    readonly outcome: Sequencer.Control | undefined
    /** The Chat Completions request the backend was asked (`internal/generation/completion.ts`). */
    readonly chatRequest: ChatCompletions.ChatCompletionRequest
  }) => Effect.Effect<void>
}

export const make = (recorder: RecorderService, prepared: Prepared): Tape | undefined => {
  if (!recorder.enabled) return undefined
  const drawn: Array<string> = []
  const readings: Array<number> = []
  // Set when the seal is made, not when it is first used: a compaction that seals nothing is still one.
  let sealed: { kind: "reasoning" | "compaction"; blobs: Array<string> } | undefined
  const chunks: Array<ChatCompletions.ChatCompletionChunk> = []
  const emitted: Array<ResponseEvents.ResponseStreamEvent> = []
  let sse = ""
  let encoded = 0
  return {
    seal: (kind, seal) => {
      const kept: { kind: "reasoning" | "compaction"; blobs: Array<string> } = { kind, blobs: [] }
      sealed = kept
      return (text) => {
        const blob = seal(text)
        kept.blobs.push(blob)
        return blob
      }
    },
    clock: (clock) => () => {
      const now = clock()
      readings.push(now)
      return now
    },
    ids: (ids) => (prefix) => {
      const id = ids(prefix)
      drawn.push(id)
      return id
    },
    chunk: (chunk) => void chunks.push(chunk),
    events: (events) => {
      for (const event of events) emitted.push(event)
    },
    sse: (text, count) => {
      sse += text
      encoded += count
    },
    save: ({ backend, startedAt, ctx, outcome, chatRequest }) => {
      // The wire values (decoded requests, chunks, events) typed as the JSON the file holds.
      const json = <A>(value: unknown) => value as A
      const recording: Recording = {
        kind: "stream",
        name: ctx.responseId,
        description: `Recorded ${new Date(startedAt).toISOString()} from the ${backend} backend.`,
        request: json(prepared.request),
        chatRequest: json(chatRequest),
        context: {
          responseId: ctx.responseId,
          createdAt: ctx.createdAt,
          clock: readings,
          model: ctx.model,
          reasoning: prepared.plan.reasoning,
          tools: Object.fromEntries(prepared.plan.tools),
          ids: drawn,
          echo: json(prepared.request),
          ...(sealed !== undefined ? { seal: sealed } : {}),
          ...(ctx.compacted !== undefined ? { compacted: ctx.compacted } : {})
        },
        chunks: json(chunks),
        ...(outcome !== undefined && outcome._tag !== "End" ? { outcome } : {}),
        events: json(emitted)
      }
      // Events never sent (non-streaming, or closing a stream whose client left) are encoded here.
      for (let i = encoded; i < emitted.length; i++) sse += Sse.encodeEvent(emitted[i]!)
      return recorder.record(recording, sse)
    }
  }
}
