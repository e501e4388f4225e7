import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { validateStream } from "../src/ValidateStream.js"
import type { Vector } from "./vectorReplay.js"

const load = (name: string): Array<Record<string, unknown>> =>
  (JSON.parse(readFileSync(join(import.meta.dirname, "vectors", `${name}.json`), "utf8")) as Vector).events.map((e) => ({ ...(e as object) }))
const renumber = (events: Array<Record<string, unknown>>) => events.map((e, i) => ({ ...e, sequence_number: i }))
const rules = (events: ReadonlyArray<unknown>, options?: Parameters<typeof validateStream>[1]) => validateStream(events, options).map((v) => v.rule)

describe("validateStream", () => {
  it("flags llama.cpp fault 1: a later consecutive function call without output_item.added", () => {
    const events = load("two-consecutive-tool-calls")
    const secondAdded = events.findIndex((e, i) => i > 2 && e.type === "response.output_item.added")
    const broken = renumber(events.filter((_, i) => i !== secondAdded))
    const violations = validateStream(broken)
    expect(violations.length).toBeGreaterThan(0)
    expect(violations[0]!.index).toBe(secondAdded)
    expect(violations[0]!.message).toMatch(/not open|missing response.output_item.added/)
  })

  it("flags llama.cpp fault 2: output_item.done events deferred to the end", () => {
    const events = load("parallel-tool-calls-one-chunk")
    const dones = events.filter((e) => e.type === "response.output_item.done")
    const terminal = events[events.length - 1]!
    const rest = events.filter((e) => e.type !== "response.output_item.done" && e !== terminal)
    const violations = validateStream(renumber([...rest, ...dones, terminal]))
    expect(violations.some((v) => v.rule === "2" && /still open/.test(v.message))).toBe(true)
  })

  it("flags a sequence_number gap", () => {
    const events = load("plain-text")
    events[3] = { ...events[3], sequence_number: 99 }
    expect(rules(events)).toContain("1")
  })

  it("flags an SSE event name that differs from the type", () => {
    const events = load("plain-text")
    const names = events.map((e) => e.type as string)
    names[2] = "response.output_text.delta"
    expect(rules(events, { eventNames: names })).toContain("1")
  })

  it("flags deltas that do not concatenate to the .done text", () => {
    const events = load("plain-text").map((e) => (e.type === "response.output_text.done" ? { ...e, text: "something else" } : e))
    expect(rules(events)).toContain("4")
  })

  it("flags a missing terminal event and a second terminal event", () => {
    const events = load("plain-text")
    expect(rules(events.slice(0, -1))).toContain("6")
    const terminal = events[events.length - 1]!
    expect(rules([...events, { ...terminal, sequence_number: events.length }])).toContain("6")
  })

  it("flags response.completed carrying status incomplete", () => {
    const events = load("length-inside-text")
    const last = events[events.length - 1]!
    events[events.length - 1] = { ...last, type: "response.completed" }
    expect(rules(events)).toContain("6")
  })

  it("flags a terminal output that differs from the done items", () => {
    const events = load("plain-text")
    const last = events[events.length - 1]! as { response: Record<string, unknown> }
    events[events.length - 1] = { ...last, response: { ...last.response, output: [] } }
    expect(rules(events)).toContain("6")
  })

  it("flags a response.created missing Response fields strict clients need", () => {
    const events = load("plain-text")
    const created = events[0] as { response: Record<string, unknown> }
    const { tools: _tools, parallel_tool_calls: _p, ...partial } = created.response
    events[0] = { ...created, response: partial }
    expect(rules(events)).toContain("schema")
  })

  it("survives garbage without throwing", () => {
    expect(validateStream([null, 1, "x", {}, { type: 3 }]).length).toBeGreaterThan(0)
    expect(validateStream([])).toEqual([expect.objectContaining({ rule: "6" })])
  })
})
