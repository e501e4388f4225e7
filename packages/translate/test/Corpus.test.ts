/**
 * The checker against streams it did not write (`../shared/corpus`, beside the repository as in CI; see its
 * README): real OpenAI and Azure streams must show no violation, and each known-bad stream from another server
 * must be flagged with exactly the rules that name its faults.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as Sse from "../src/Sse.js"
import { checkStream, type RuleId } from "../src/ValidateStream.js"

const corpus = join(import.meta.dirname, "../../../../shared/corpus")

const load = (dir: string, file: string) => {
  const frames = Sse.decodeText(readFileSync(join(corpus, dir, file), "utf8")).filter((m) => m.data !== "[DONE]")
  const events = frames.map((m) => JSON.parse(m.data) as unknown)
  return checkStream(events, { eventNames: frames.map((m) => m.event) })
}
const ids = (findings: ReturnType<typeof load>, severity: string) =>
  [...new Set(findings.filter((f) => f.severity === severity).map((f) => f.id))].sort()

/** What real OpenAI output does that Parlance's strict schema does not (the README of the corpus lists it). */
const openAiDepartures: ReadonlyArray<RuleId> = [
  "call.caller-status",
  "call.done-name-missing",
  "item.status-missing",
  "response.schema",
  "terminal.usage-null-failed"
]

/** The faults the corpus README names, as rule ids. */
const knownBad: Record<string, ReadonlyArray<RuleId>> = {
  // no sequence_number, no output_index / content_index, a bare response.created (no created_at, model…)
  "llama-server-native-text.sse": [
    "event.sequence-number",
    "item.output-index",
    "part.index",
    "response.required-field"
  ],
  "llama-server-native-schema.sse": [
    "event.sequence-number",
    "item.output-index",
    "part.index",
    "response.required-field"
  ],
  // + the call is added while the message is open; text done for the message, no longer current; no arguments .done
  "llama-server-native-tool1.sse": [
    "call.arguments-json",
    "call.done-missing",
    "event.sequence-number",
    "item.interleaved",
    "item.not-current",
    "item.output-index",
    "part.index",
    "response.required-field"
  ],
  "llama-server-native-tool2.sse": [
    "call.done-missing",
    "event.sequence-number",
    "item.interleaved",
    "item.not-current",
    "item.output-index",
    "part.index",
    "response.required-field"
  ],
  // function_call_arguments.done carries arguments that no delta streamed
  "lmstudio-tool-call.1.sse": ["call.delta-mismatch", "call.item-mismatch"],
  // hosted items added while others are open, closed out of order; no `error` / `instructions` on the Response
  "xai-x-search-tool.sse": ["item.interleaved", "item.not-current", "response.required-field"]
}

describe("the stream checker on recorded streams", () => {
  it("finds the corpus beside the repository", () => {
    expect(existsSync(corpus), `${corpus} (CI checks ../shared out beside the clone)`).toBe(true)
    expect(readdirSync(join(corpus, "openai")).filter((f) => f.endsWith(".sse")).length).toBeGreaterThanOrEqual(28)
    expect(readdirSync(join(corpus, "known-bad")).sort()).toEqual(Object.keys(knownBad).sort())
  })

  const openai = existsSync(corpus) ? readdirSync(join(corpus, "openai")).filter((f) => f.endsWith(".sse")) : []
  it.each(openai)("openai/%s: no violation, only the departures real OpenAI output is known for", (file) => {
    const findings = load("openai", file)
    expect(findings.filter((f) => f.severity === "violation")).toEqual([])
    for (const id of ids(findings, "warning")) expect(openAiDepartures).toContain(id)
  })

  it.each(Object.entries(knownBad))("known-bad/%s: flagged with the rules of its faults", (file, expected) => {
    expect(ids(load("known-bad", file), "violation")).toEqual([...expected].sort())
  })

  it("hosted item types and their events are noted, never violations", () => {
    const findings = load("openai", "openai-code-interpreter-tool.1.sse")
    expect(findings).toContainEqual(
      expect.objectContaining({
        id: "item.unknown-type",
        severity: "note",
        message: expect.stringContaining("code_interpreter_call")
      })
    )
    expect(findings).toContainEqual(
      expect.objectContaining({
        id: "event.unknown-type",
        message: expect.stringContaining("response.code_interpreter_call_code.delta")
      })
    )
    // one note per type, not one per event (the file has 149 code deltas)
    expect(findings.filter((f) => f.message.includes("code_interpreter_call_code.delta")).length).toBe(1)
  })

  it("re-encrypted encrypted_content is a note; --strict escalates the departures but never a note", () => {
    const file = "openai-reasoning-encrypted-content.1.stream1.sse"
    expect(ids(load("openai", file), "note")).toContain("terminal.opaque-changed")
    const frames = Sse.decodeText(readFileSync(join(corpus, "openai", file), "utf8")).filter((m) => m.data !== "[DONE]")
    const strict = checkStream(
      frames.map((m) => JSON.parse(m.data) as unknown),
      { strict: true }
    )
    expect(ids(strict, "violation")).toEqual(["call.done-name-missing", "item.status-missing", "response.schema"])
    expect(ids(strict, "note")).toEqual(["terminal.opaque-changed"])
  })
})
