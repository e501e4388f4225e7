import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as SpecValidator from "../src/SpecValidator.js"

const shared = join(import.meta.dirname, "../../../../shared/specs/openresponses-openapi.json")

const valid = {
  id: "resp_1",
  object: "response",
  created_at: 1,
  completed_at: null,
  status: "completed",
  incomplete_details: null,
  model: "m",
  previous_response_id: null,
  instructions: null,
  output: [],
  error: null,
  tools: [],
  tool_choice: "auto",
  truncation: "disabled",
  parallel_tool_calls: true,
  text: { format: { type: "text" } },
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  top_logprobs: 0,
  temperature: 1,
  reasoning: null,
  usage: null,
  max_output_tokens: null,
  max_tool_calls: null,
  store: true,
  background: false,
  service_tier: "default",
  metadata: {},
  safety_identifier: null,
  prompt_cache_key: null
}

describe("the vendored Open Responses document", () => {
  it.skipIf(!existsSync(shared))("is the same as ../shared/specs (when that is beside the clone)", () => {
    expect(readFileSync(SpecValidator.specPath, "utf8")).toBe(readFileSync(shared, "utf8"))
  })
})

describe("SpecValidator", () => {
  it("accepts a minimal conforming Response", () => {
    expect(SpecValidator.validateResponse(valid)).toEqual([])
  })

  it("names each missing required field (the compliance suite's failures)", () => {
    const { presence_penalty: _, frequency_penalty: __, ...rest } = valid
    expect(SpecValidator.validateResponse(rest)).toEqual([
      "/ must have required property 'presence_penalty'",
      "/ must have required property 'frequency_penalty'"
    ])
  })

  it("rejects a function tool without strict, accepts strict: null", () => {
    const tool = { type: "function", name: "f", description: null, parameters: null }
    expect(SpecValidator.validateResponse({ ...valid, tools: [tool] })).not.toEqual([])
    expect(SpecValidator.validateResponse({ ...valid, tools: [{ ...tool, strict: null }] })).toEqual([])
  })

  it("validates the SDK's extensions by the fields the SDK requires", () => {
    const call = {
      type: "custom_tool_call",
      id: "ctc_1",
      call_id: "c",
      name: "apply_patch",
      input: "x",
      status: "completed"
    }
    expect(SpecValidator.validateResponse({ ...valid, output: [call] })).toEqual([])
    const { input: _, ...noInput } = call
    expect(SpecValidator.validateResponse({ ...valid, output: [noInput] })).not.toEqual([])
  })

  it("validates events by type, and refuses types nobody defines", () => {
    const delta = {
      type: "response.output_text.delta",
      sequence_number: 3,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: "hi",
      logprobs: []
    }
    expect(SpecValidator.validateEvent(delta)).toEqual([])
    const { content_index: _, ...noIndex } = delta
    expect(SpecValidator.validateEvent(noIndex)).toEqual([
      "response.output_text.delta: / must have required property 'content_index'"
    ])
    expect(SpecValidator.validateEvent({ ...delta, type: "response.made_up" })).toEqual([
      'event type "response.made_up" is not defined by the spec or the openai SDK'
    ])
    expect(
      SpecValidator.validateEvent({ type: "response.completed", sequence_number: 9, response: { ...valid, status: 3 } })
    ).not.toEqual([])
  })
})

describe("dialects", () => {
  const delta = (type: string) => ({
    type,
    sequence_number: 3,
    item_id: "rs_1",
    output_index: 0,
    content_index: 0,
    delta: "x"
  })
  it("either dialect's reasoning delta passes by default", () => {
    expect(SpecValidator.validateEvent(delta("response.reasoning.delta"))).toEqual([])
    expect(SpecValidator.validateEvent(delta("response.reasoning_text.delta"))).toEqual([])
  })
  it("the spec's dialect refuses OpenAI's name for an event the spec names otherwise", () => {
    expect(SpecValidator.validateEvent(delta("response.reasoning.delta"), { dialect: "openresponses" })).toEqual([])
    expect(SpecValidator.validateEvent(delta("response.reasoning_text.delta"), { dialect: "openresponses" })).toEqual([
      "event type response.reasoning_text.delta is OpenAI's name: the Open Responses spec names it response.reasoning.delta"
    ])
  })
  it("only the spec's own events are spec events", () => {
    expect(SpecValidator.isSpecEvent("response.reasoning.delta")).toBe(true)
    expect(SpecValidator.isSpecEvent("response.reasoning_text.delta")).toBe(false)
    expect(SpecValidator.isSpecEvent("response.compaction.compacting")).toBe(false)
  })
  it("the SDK's compaction progress event is accepted as an extension", () => {
    expect(
      SpecValidator.validateEvent({
        type: "response.compaction.compacting",
        sequence_number: 2,
        item_id: "cmp_1",
        output_index: 0
      })
    ).toEqual([])
  })
})
