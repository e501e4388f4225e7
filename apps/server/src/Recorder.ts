/**
 * `--record-dir`: per request, the upstream chunks and the emitted events, as a file in the golden-vector
 * format (`chunks` in, `events` out, plus the ids used) that the translate package replays deterministically,
 * and the raw SSE the client received.
 * @since 0.1.0
 */
import type { ResponseEvents } from "@parlance/schema"
import type { Sequencer } from "@parlance/translate"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/** @category models */
export interface Recording {
  readonly name: string
  readonly description: string
  readonly request: unknown
  readonly chatRequest: unknown
  readonly context: {
    readonly responseId: string
    readonly createdAt: number
    readonly completedAt: number
    readonly model: string
    readonly reasoning: "text" | "summary"
    readonly tools: Record<string, unknown>
    /** Every id the sequencer drew, in order: replaying them reproduces the events exactly. */
    readonly ids: ReadonlyArray<string>
    readonly echo: unknown
  }
  readonly chunks: ReadonlyArray<unknown>
  readonly outcome?: Sequencer.Control
  readonly events: ReadonlyArray<ResponseEvents.ResponseStreamEvent>
}

export const write = (dir: string, recording: Recording, sse: string): void => {
  mkdirSync(dir, { recursive: true })
  const base = join(dir, recording.context.responseId)
  writeFileSync(`${base}.json`, `${JSON.stringify(recording, null, 2)}\n`)
  writeFileSync(`${base}.sse`, sse)
}
