/** What the Codex e2e suites read back: Codex's JSON event lines, and the recordings `--record-dir` wrote. */
import { Sse, validateStream } from "@parlance/translate"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

export interface CodexEvent {
  readonly type: string
  readonly item?: { readonly type: string; readonly text?: string; readonly message?: string }
  readonly [key: string]: unknown
}

/** The JSON lines of `codex exec --json` (other lines — banners, logs — are skipped). */
export const codexEvents = (stdout: string): Array<CodexEvent> =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as CodexEvent)

/** Every recorded stream with its request and its strict grammar verdict. Files are named by random ids: directory order means nothing. */
export const recordedStreams = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".sse"))
    .map((f) => {
      const messages = Sse.decodeText(readFileSync(join(dir, f), "utf8"))
      const events = messages.map((m) => JSON.parse(m.data))
      const recording = JSON.parse(readFileSync(join(dir, f.replace(/\.sse$/, ".json")), "utf8"))
      return {
        file: f,
        events,
        request: recording.request,
        violations: validateStream(events, { eventNames: messages.map((m) => m.event), strict: true })
      }
    })
