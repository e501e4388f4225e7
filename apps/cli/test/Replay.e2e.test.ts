import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type Parlance, runCli, startParlance, tempDir } from "./cliHarness.js"
import { faultySse } from "./llamaFaultyStream.js"

const vectorFile = join(import.meta.dirname, "../../../packages/translate/vectors/two-consecutive-tool-calls.json")
const golden = JSON.parse(readFileSync(vectorFile, "utf8"))

let p: Parlance
beforeAll(async () => {
  p = await startParlance()
})
afterAll(() => p.close())

/** One streamed request through our server; its `--record-dir` files. */
const record = async (model: string) => {
  const response = await fetch(`${p.baseUrl}/responses`, {
    method: "POST",
    body: JSON.stringify({ model, input: "x", stream: true, tools: [{ type: "function", name: "read" }] })
  })
  const id = /"id":"(resp_[a-z0-9]+)"/.exec(await response.text())![1]!
  const files = { json: join(p.recordDir, `${id}.json`), sse: join(p.recordDir, `${id}.sse`) }
  // The recorder writes after the stream ends, off the hot path: wait until both files are complete.
  const complete = () => {
    try {
      return existsSync(files.sse) && Array.isArray(JSON.parse(readFileSync(files.json, "utf8")).events)
    } catch {
      return false
    }
  }
  for (let waited = 0; !complete() && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50))
  return files
}

describe("parlance replay", () => {
  it("re-runs recordings, validates raw SSE, sequences chunk files and writes golden vectors", async () => {
    const dir = tempDir("replay")
    const recorded = await record("vector/two-consecutive-tool-calls")
    const tampered = join(dir, "tampered.json")
    const recording = JSON.parse(readFileSync(recorded.json, "utf8"))
    recording.events[4].delta = "changed"
    writeFileSync(tampered, JSON.stringify(recording))
    const broken = join(dir, "llama.sse")
    writeFileSync(broken, faultySse)
    const jsonl = join(dir, "bug.chunks.txt")
    writeFileSync(
      jsonl,
      golden.chunks
        .filter((c: unknown) => typeof c !== "string")
        .map((c: unknown) => JSON.stringify(c))
        .join("\n")
    )
    const sseChunkFile = join(dir, "bug.chunks.sse")
    writeFileSync(
      sseChunkFile,
      golden.chunks.map((c: unknown) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}\n\n`).join("")
    )

    const [rec, sse, tamper, bad, chunks, sseOfChunks] = await Promise.all([
      runCli(["replay", recorded.json]),
      runCli(["replay", recorded.sse]),
      runCli(["replay", tampered]),
      runCli(["replay", broken]),
      runCli(["replay", jsonl, "--vector", "issue-42-two-calls", "--description", "From a bug report."], { cwd: dir }),
      runCli(["replay", sseChunkFile])
    ])

    expect(rec.code).toBe(0)
    expect(rec.stdout).toContain("a --record-dir recording, 7 chunk(s) → 13 event(s)")
    expect(rec.stdout).toMatch(/^\s+7 {2}output_item\.added\s+fc_\w+\s+function_call read in_progress$/m)
    expect(rec.stdout).toContain("reproduces the recorded events exactly (13 events)")
    expect(rec.stdout).toContain("grammar: ok")

    expect(sse.code).toBe(0)
    expect(sse.stdout).toContain("an SSE capture of Responses events, 13 event(s)")
    expect(sse.stdout).toMatch(/^\s+12 {2}completed\s+resp_\w+\s+completed$/m)

    expect(tamper.code).toBe(1)
    expect(tamper.stdout).toContain("does NOT reproduce the recorded events: first difference at event #4")

    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(
      /^\s+6 {2}function_call_arguments\.delta\s+fc_0002\s+"\{\\"path\\":"\n\s+✗ #6 rule 3: .*the open item is fc_0001/m
    )
    expect(bad.stdout).toMatch(/✗ #10 rule 2: response\.output_item\.done for item fc_0002 that is not open/)
    expect(bad.stdout).toMatch(/grammar: \d+ violation\(s\)/)

    // The bug report becomes a golden vector that the translate suite replays exactly.
    expect(chunks.code).toBe(0)
    expect(chunks.stdout).toContain(`wrote golden vector ${join(dir, "issue-42-two-calls.json")}`)
    const vector = JSON.parse(readFileSync(join(dir, "issue-42-two-calls.json"), "utf8"))
    expect(Object.keys(vector)).toEqual(["kind", "name", "description", "context", "chunks", "expect", "events"])
    expect(vector).toMatchObject({
      name: "issue-42-two-calls",
      description: "From a bug report.",
      expect: { status: "completed" }
    })
    expect(vector.events).toEqual(golden.events)
    expect(vector.expect.output).toEqual(golden.expect.output.map(({ call_id: _, ...rest }: any) => rest))

    expect(sseOfChunks.code).toBe(0)
    expect(sseOfChunks.stdout).toContain("a chunk file, 8 chunk(s) → 13 event(s)")
    // several CLIs spawned at once: generous on a shared CI machine
  }, 120_000)

  it("replays the shipped vectors, stream and request, and name what an altered one changed", async () => {
    const dir = tempDir("replay-vectors")
    const requestVector = join(vectorFile, "../request-history-tools-reference-file.json")
    const altered = join(dir, "altered.json")
    const changed = JSON.parse(readFileSync(requestVector, "utf8"))
    changed.output.chatRequest.temperature = 0.9
    writeFileSync(altered, JSON.stringify(changed))
    const [stream, request, alteredRequest] = await Promise.all([
      runCli(["replay", vectorFile]),
      runCli(["replay", requestVector]),
      runCli(["replay", altered])
    ])
    expect(stream.code).toBe(0)
    expect(stream.stdout).toContain("a stream vector, 8 chunk(s) → 13 event(s)")
    expect(stream.stdout).toContain("reproduces the recorded events exactly (13 events)")
    expect(request.code).toBe(0)
    expect(request.stdout).toContain("a request vector, 7 message(s) sent upstream")
    expect(request.stdout).toContain("reproduces the recorded Chat Completions request exactly")
    expect(alteredRequest.code).toBe(1)
    expect(alteredRequest.stdout).toContain(
      "does NOT reproduce the recorded request: output.chatRequest.temperature: 0.2 ≠ 0.9"
    )
  }, 60_000)
})
