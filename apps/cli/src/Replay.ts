/**
 * `parlance replay <file>`: a recorded capture, re-run and judged. A vector (a `--record-dir` recording is one,
 * packages/translate/vectors/README.md) is replayed with its own ids, clock readings and sealed blobs (does
 * it reproduce its events, or its Chat Completions request, exactly?); a raw SSE file of Responses events (ours
 * or another server's, e.g. from `check --save`) is decoded and validated with its `event:` names; a chunk file
 * (one Chat Completions chunk JSON per line, or `data:` SSE of chunks) is sequenced with deterministic ids.
 * `--vector NAME` writes it as a stream vector: the way a bug report becomes a test vector.
 * Exit status 1 on grammar violations (with `--strict`, warnings too) or a vector that no longer reproduces.
 * @since 0.1.0
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { readFileSync, writeFileSync } from "node:fs"
import { basename, resolve } from "node:path"
import { Vector } from "@parlance/translate"
import * as GoldenVector from "./internal/goldenVector.js"
import { type Analysis, analyze, classify } from "./internal/replayCapture.js"
import { timeline } from "./internal/timeline.js"

const replayOptions = {
  file: Argument.File("file", { mustExist: true }).pipe(
    Argument.withDescription("A recording (.json), a raw SSE capture (.sse) or a chunk file")
  ),
  vector: Flag.String("vector").pipe(
    Flag.withDescription("Write the chunks as a golden vector to NAME.json (name = the file's base name)"),
    Flag.optional
  ),
  description: Flag.String("description").pipe(Flag.withDescription("The golden vector's description"), Flag.optional),
  strict: Flag.Boolean("strict").pipe(
    Flag.withDescription("Count warnings (departures real OpenAI output also shows) as violations"),
    Flag.withDefault(false)
  )
}

const kindLine = (file: string, a: Analysis): string => {
  const chunks = a.chunks === undefined ? "" : `${a.chunks.length} chunk(s) → `
  const what = {
    recording: "a --record-dir recording",
    vector: "a stream vector",
    sse: "an SSE capture of Responses events",
    chunks: "a chunk file"
  }[a.kind]
  return `${file}: ${what}, ${chunks}${a.events.length} event(s)`
}

const reproducedLine = (a: Analysis): string | undefined => {
  if (a.reproduced === undefined) return undefined
  if (a.reproduced.exact && (a.mismatches ?? []).length === 0)
    return `reproduces the recorded events exactly (${a.reproduced.recorded} events)`
  if (a.reproduced.exact) return `does NOT reproduce the vector: ${a.mismatches!.join("; ")}`
  return `does NOT reproduce the recorded events: first difference at event #${a.reproduced.firstDifference} (replayed ${a.events.length}, recorded ${a.reproduced.recorded})`
}

/** `grammar: ok (no violations)` or `grammar: N violation(s)`, then the warnings and notes beside it. */
const grammarLine = (a: Analysis, strict: boolean): string => {
  const count = (severity: string) => a.findings.filter((f) => f.severity === severity).length
  const others = [
    count("warning") > 0 ? `${count("warning")} warning(s), --strict fails on them` : "",
    count("note") > 0 ? `${count("note")} note(s)` : "",
    strict ? "--strict: warnings count as violations" : ""
  ].filter((s) => s !== "")
  const head =
    a.violations.length === 0 ? "grammar: ok (no violations)" : `grammar: ${a.violations.length} violation(s)`
  return others.length > 0 ? `${head}; ${others.join("; ")}` : head
}

const writeVector = (file: string, a: Analysis, target: string, description: Option.Option<string>): void => {
  if (a.vector === undefined) {
    process.stderr.write(
      "error: --vector needs chunks; an SSE capture of Responses events has none (record with --record-dir, or pass the upstream's chunks)\n"
    )
    process.exitCode = 2
    return
  }
  const path = resolve(target.endsWith(".json") ? target : `${target}.json`)
  const vector = GoldenVector.build({
    name: basename(path, ".json"),
    description: Option.getOrElse(description, () => `Replayed from ${basename(file)}.`),
    vector: a.vector
  })
  writeFileSync(path, `${JSON.stringify(vector, null, 2)}\n`)
  process.stdout.write(`wrote golden vector ${path}\n`)
}

/** A request vector: the Chat Completions request translated again, compared with the recorded one. */
const replayRequest = (file: string, vector: Vector.RequestVector): void => {
  const { mismatches } = Vector.replay(vector)
  const what =
    "error" in vector.output
      ? `refused (${vector.output.error.param})`
      : `${(vector.output.chatRequest.messages as ReadonlyArray<unknown> | undefined)?.length ?? 0} message(s) sent upstream`
  process.stdout.write(`${file}: a request vector, ${what}\n`)
  if (mismatches.length === 0) process.stdout.write("reproduces the recorded Chat Completions request exactly\n")
  else {
    process.stdout.write(`does NOT reproduce the recorded request: ${mismatches.join("; ")}\n`)
    process.exitCode = 1
  }
}

/** @category commands */
export const replay = Command.make("replay", replayOptions, (options) =>
  Effect.sync(() => {
    const capture = classify(readFileSync(options.file, "utf8"))
    if (typeof capture === "string") {
      process.stderr.write(`error: ${options.file}: ${capture}\n`)
      process.exitCode = 2
      return
    }
    if (capture._tag === "Request") return replayRequest(options.file, capture.vector)
    const a = analyze(capture, options.strict)
    const ansi = process.stdout.isTTY === true
    process.stdout.write(`${kindLine(options.file, a)}\n\n${timeline(a.events, a.findings, ansi)}\n`)
    const reproduced = reproducedLine(a)
    if (reproduced !== undefined) process.stdout.write(`${reproduced}\n`)
    process.stdout.write(`${grammarLine(a, options.strict)}\n`)
    if (a.violations.length > 0 || a.reproduced?.exact === false || (a.mismatches ?? []).length > 0)
      process.exitCode = 1
    Option.map(options.vector, (target) => writeVector(options.file, a, target, options.description))
  })
).pipe(
  Command.withDescription(
    "Re-run and validate a recorded capture (a vector or recording, raw SSE, or chunk file); --vector writes a golden vector"
  )
)
