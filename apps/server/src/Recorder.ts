/**
 * `--record-dir`: per request, the upstream chunks and the emitted events, as a stream vector (the format of
 * the translator's test vectors: `chunks` in, `events` out, the ids and clock readings drawn) that
 * `Vector.replay` reproduces, and the raw SSE the client received. Written asynchronously, off the stream's path: a slow disk never delays
 * a client, and the layer waits for pending writes when it closes.
 * @since 0.1.0
 */
import type { Vector } from "@parlance/translate"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"

/**
 * A recording is a stream vector (`@parlance/translate`'s `Vector`, packages/translate/vectors/README.md): its
 * context holds every id, clock reading and sealed blob drawn, so `Vector.replay` reproduces its events, and
 * copying the file into the vectors makes it a test.
 * @category models
 */
export type Recording = Vector.StreamVector

/** @category models */
export interface RecorderService {
  /** False: generations collect nothing to record. */
  readonly enabled: boolean
  /** Starts writing `recording` and returns at once. */
  readonly record: (recording: Recording, sse: string) => Effect.Effect<void>
}

/** @category tags */
export class Recorder extends Context.Service<Recorder, RecorderService>()("@parlance/server/Recorder") {}

/** Records nothing. @category layers */
export const layerNone: Layer.Layer<Recorder> = Layer.succeed(Recorder, { enabled: false, record: () => Effect.void })

const write = (dir: string, recording: Recording, sse: string) =>
  Effect.tryPromise(async () => {
    await mkdir(dir, { recursive: true })
    const base = join(dir, recording.context.responseId)
    await Promise.all([
      writeFile(`${base}.json`, `${JSON.stringify(recording, null, 2)}\n`),
      writeFile(`${base}.sse`, sse)
    ])
  }).pipe(Effect.catch((error) => Effect.logWarning(`recording ${recording.context.responseId} failed`, error.cause)))

/** Writes each recording into `dir` (`<response id>.json` and `.sse`). @category layers */
export const layerDir = (dir: string): Layer.Layer<Recorder> =>
  Layer.effect(
    Recorder,
    Effect.gen(function* () {
      const writes = yield* FiberSet.make<void>()
      // Pending writes finish before the layer (and the process) goes.
      yield* Effect.addFinalizer(() => FiberSet.awaitEmpty(writes))
      return {
        enabled: true,
        record: (recording, sse) => Effect.asVoid(FiberSet.run(writes)(write(dir, recording, sse)))
      }
    })
  )

/** `layerDir(dir)`, or `layerNone` without a directory. @category layers */
export const layer = (dir: string | undefined): Layer.Layer<Recorder> => (dir === undefined ? layerNone : layerDir(dir))
