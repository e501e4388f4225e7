import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { checkStream, rules as ruleTable, validateStream } from "../src/ValidateStream.js"
import type { StreamVector } from "../src/Vector.js"
import { vectorDir } from "./vectorReplay.js"

const load = (name: string): Array<Record<string, unknown>> =>
  (JSON.parse(readFileSync(join(vectorDir, `${name}.json`), "utf8")) as StreamVector).events.map((e) => ({
    ...(e as object)
  }))
const renumber = (events: Array<Record<string, unknown>>) => events.map((e, i) => ({ ...e, sequence_number: i }))
const rules = (events: ReadonlyArray<unknown>, options?: Parameters<typeof validateStream>[1]) =>
  validateStream(events, options).map((v) => v.rule)

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

  it("accepts response.queued between created and in_progress, and flags it anywhere else", () => {
    const events = load("plain-text")
    const created = events[0]!
    const queued = { type: "response.queued", response: { ...(created.response as object), status: "queued" } }
    // OpenAI's order for a response that waited: created, queued, in_progress.
    const waited = renumber([created, queued, ...events.slice(1)])
    expect(validateStream(waited, { strict: true })).toEqual([])
    const ids = (list: Array<Record<string, unknown>>) => checkStream(renumber(list)).map((f) => f.id)
    // After in_progress, in the middle, or without the in_progress that must follow it.
    expect(ids([created, events[1]!, queued, ...events.slice(2)])).toContain("stream.lifecycle-repeated")
    expect(ids([...events.slice(0, 4), queued, ...events.slice(4)])).toContain("stream.lifecycle-repeated")
    expect(ids([created, queued, ...events.slice(2)])).toContain("stream.second-event")
    // A second in_progress is still a repeat, and a queued event must say `queued`.
    expect(ids([created, events[1]!, events[1]!, ...events.slice(2)])).toContain("stream.lifecycle-repeated")
    expect(ids([created, { ...queued, response: created.response }, ...events.slice(1)])).toContain("response.status")
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
    const events = load("plain-text").map((e) =>
      e.type === "response.output_text.done" ? { ...e, text: "something else" } : e
    )
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

const ids = (events: ReadonlyArray<unknown>, options?: Parameters<typeof checkStream>[1]) =>
  checkStream(events, options).map((f) => `${f.severity} ${f.id}`)
type Ev = Record<string, any>
const mapResponses = (events: Array<Ev>, f: (r: Ev) => Ev) =>
  events.map((e) => (isObj(e.response) ? { ...e, response: f(e.response) } : e))
const isObj = (v: unknown): v is Ev => typeof v === "object" && v !== null
const loadEv = (name: string): Array<Ev> => load(name)
const renum = (events: Array<Ev>): Array<Ev> => renumber(events)

describe("checkStream: severities and rule ids", () => {
  it("the README's conformance table lists every rule, with its severity and invariant, and nothing else", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8")
    const rows = [...readme.matchAll(/^\| `([a-z]+\.[a-z-]+)` \| (violation|warning|note) \| ([^|]+) \|/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]!.trim()}`
    )
    expect(rows.sort()).toEqual(
      Object.entries(ruleTable)
        .map(([id, r]) => `${id} ${r.severity} ${r.invariant}`)
        .sort()
    )
  })

  it("every finding carries a rule id from the table, its severity and its invariant", () => {
    const events = loadEv("two-consecutive-tool-calls")
    const broken = renum(events.filter((e) => e.type !== "response.output_item.done"))
    const findings = checkStream([...broken, "garbage"])
    expect(findings.length).toBeGreaterThan(3)
    for (const f of findings) {
      expect(ruleTable[f.id], f.id).toBeDefined()
      expect(f.severity).toBe(ruleTable[f.id].severity)
      expect(f.rule).toBe(ruleTable[f.id].invariant)
    }
  })

  it("passes a conforming server that differs from Parlance in allowed ways, with warnings at most", () => {
    // `reasoning: null` (the SDK types: Reasoning | null), no `completed_at`, extra fields everywhere
    const events: Array<Ev> = mapResponses(loadEv("reasoning-then-tool-call"), ({ completed_at: _, ...r }) => ({
      ...r,
      reasoning: null,
      x_vendor: { a: 1 }
    })).map((e) => ({
      ...e,
      x_trace: "t",
      ...(isObj(e.item) ? { item: { ...e.item, x_extra: true } } : {})
    }))
    const last = events.at(-1)!
    events[events.length - 1] = {
      ...last,
      response: { ...last.response, output: last.response.output.map((i: Ev) => ({ ...i, x_extra: true })) }
    }
    expect(validateStream(events)).toEqual([])
    expect(new Set(ids(events))).toEqual(new Set(["warning response.schema"]))
    // --strict: the warnings become violations
    expect(validateStream(events, { strict: true }).map((v) => v.id)).toEqual([
      "response.schema",
      "response.schema",
      "response.schema"
    ])
  })

  it("judges the Response against what the SDK requires: a missing model is a violation, a missing completed_at a warning", () => {
    const noModel = mapResponses(loadEv("plain-text"), ({ model: _, ...r }) => r)
    expect(validateStream(noModel).map((v) => v.id)).toEqual([
      "response.required-field",
      "response.required-field",
      "response.required-field"
    ])
    const noCompletedAt = mapResponses(loadEv("plain-text"), ({ completed_at: _, ...r }) => r)
    expect(ids(noCompletedAt)).toEqual([
      "warning response.schema",
      "warning response.schema",
      "warning response.schema"
    ])
    expect(ids(noCompletedAt, { schema: false })).toEqual([])
  })

  it("hosted item types get the generic lifecycle: their events must belong to the open item", () => {
    const base = loadEv("plain-text").slice(0, 2)
    const hosted = { type: "web_search_call", id: "ws_1", status: "in_progress", action: { type: "search" } }
    const doneItem = { ...hosted, status: "completed" }
    const end = loadEv("plain-text").at(-1)!
    const terminal = { ...end, response: { ...end.response, output: [doneItem] } }
    const good = renum([
      ...base,
      { type: "response.output_item.added", output_index: 0, item: hosted },
      { type: "response.web_search_call.searching", item_id: "ws_1", output_index: 0 },
      { type: "response.web_search_call.completed", item_id: "ws_1", output_index: 0 },
      { type: "response.output_item.done", output_index: 0, item: doneItem },
      terminal
    ])
    expect(validateStream(good)).toEqual([])
    expect(ids(good)).toEqual(["note item.unknown-type", "note event.unknown-type", "note event.unknown-type"])
    // an event of the hosted item after its done, and one naming another output_index
    const late = renum([
      ...good.slice(0, 6),
      { type: "response.web_search_call.completed", item_id: "ws_1", output_index: 0 },
      good[6]!
    ])
    expect(validateStream(late).map((v) => v.id)).toEqual(["item.not-open"])
    const wrongIndex = good.map((e) =>
      e.type === "response.web_search_call.searching" ? { ...e, output_index: 3 } : e
    )
    expect(validateStream(wrongIndex).map((v) => v.id)).toEqual(["item.output-index"])
  })

  it("terminal output equals the done items modulo re-encrypted blobs, and nothing else", () => {
    const events = loadEv("reasoning-then-tool-call")
    const withBlob = events.map((e) =>
      isObj(e.item) && e.item.type === "reasoning" ? { ...e, item: { ...e.item, encrypted_content: "gAAA-one" } } : e
    )
    const last = withBlob.at(-1)!
    const reencrypted = (blob: string, name = "get_weather") => ({
      ...last,
      response: {
        ...last.response,
        output: last.response.output.map((i: Ev) =>
          i.type === "reasoning" ? { ...i, encrypted_content: blob } : { ...i, name }
        )
      }
    })
    expect(ids([...withBlob.slice(0, -1), reencrypted("gAAA-two")])).toEqual(["note terminal.opaque-changed"])
    expect(validateStream([...withBlob.slice(0, -1), reencrypted("gAAA-two", "other")]).map((v) => v.id)).toEqual([
      "terminal.output"
    ])
  })

  it("keeps the function_call rules strict, with the two departures real OpenAI output has as warnings", () => {
    const events = loadEv("one-tool-call")
    const argsDone = events.findIndex((e) => e.type === "response.function_call_arguments.done")
    const { name: _, ...nameless } = events[argsDone]!
    expect(ids(events.map((e, i) => (i === argsDone ? nameless : e)))).toEqual(["warning call.done-name-missing"])
    // closed in_progress: a violation, unless a program made the call (`caller`), as OpenAI's programmatic tool calling does
    const doneAt = events.findIndex((e) => e.type === "response.output_item.done")
    const withStatus = (extra: Ev) =>
      events.map((e, i) => {
        if (i === doneAt) return { ...e, item: { ...e.item, status: "in_progress", ...extra } }
        if (i === events.length - 1)
          return {
            ...e,
            response: {
              ...e.response,
              output: e.response.output.map((o: Ev) => ({ ...o, status: "in_progress", ...extra }))
            }
          }
        return e
      })
    expect(validateStream(withStatus({})).map((v) => v.id)).toEqual(["item.status"])
    expect(ids(withStatus({ caller: { type: "program" } }))).toEqual(["warning call.caller-status"])
    // arguments that no delta streamed
    expect(
      validateStream(events.map((e, i) => (i === argsDone ? { ...e, arguments: "{}" } : e))).map((v) => v.id)
    ).toEqual(["call.delta-mismatch"])
  })

  it("reasoning items may lack status (a warning); a wrong status stays a violation", () => {
    const events = loadEv("reasoning-then-tool-call")
    const strip = (e: Ev) => {
      if (isObj(e.item) && e.item.type === "reasoning") {
        const { status: _, ...item } = e.item
        return { ...e, item }
      }
      return e
    }
    const last = events.at(-1)!
    const noStatus = [
      ...events.slice(0, -1).map(strip),
      { ...last, response: { ...last.response, output: last.response.output.map((i: Ev) => strip({ item: i }).item) } }
    ]
    expect(ids(noStatus)).toEqual(["warning item.status-missing", "warning item.status-missing"])
    const added = events.findIndex((e) => e.type === "response.output_item.added")
    expect(
      validateStream(events.map((e, i) => (i === added ? { ...e, item: { ...e.item, status: "completed" } } : e))).map(
        (v) => v.id
      )
    ).toEqual(["item.status"])
  })

  it("response.failed may carry usage: null (a warning); other terminals need usage", () => {
    const events = loadEv("upstream-error-mid-stream")
    const last = events.at(-1)!
    expect(last.type).toBe("response.failed")
    expect(ids([...events.slice(0, -1), { ...last, response: { ...last.response, usage: null } }])).toEqual([
      "warning terminal.usage-null-failed"
    ])
    const done = loadEv("plain-text")
    const end = done.at(-1)!
    expect(
      validateStream([...done.slice(0, -1), { ...end, response: { ...end.response, usage: null } }]).map((v) => v.id)
    ).toEqual(["terminal.usage"])
  })

  it("reports events for an open item that is not the current one (items interleave) and checks them against their own item", () => {
    const events = loadEv("text-then-tool-calls")
    const messageDone = events.findIndex((e) => e.type === "response.output_item.done")
    const callAdded = events.findIndex((e, i) => i > messageDone && e.type === "response.output_item.added")
    // the message's done moved after the call's added: the call interleaves, the message's done is not current
    const moved = renum([
      ...events.slice(0, messageDone),
      events[callAdded]!,
      events[messageDone]!,
      ...events.slice(callAdded + 1)
    ])
    const found = validateStream(moved)
    expect(found.map((v) => v.id)).toEqual(["item.interleaved", "item.not-current"])
    expect(found[1]!.message).toMatch(/for item msg_\w+ while item fc_\w+ is the current one/)
  })
})
