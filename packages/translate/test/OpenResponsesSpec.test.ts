/**
 * Every Response object and every event of every golden vector, validated against the Open Responses
 * OpenAPI document's JSON Schemas (ajv, 2020-12): a field the spec requires cannot go missing again.
 */
import { SpecValidator } from "@parlance/open-responses"
import { describe, expect, it } from "@effect/vitest"
import * as ResponseSnapshot from "../src/ResponseSnapshot.js"
import { replay, streamVectors } from "./vectorReplay.js"

const vectors = streamVectors()

describe("golden vectors against the Open Responses spec", () => {
  for (const vector of vectors) {
    it(`${vector.name}: every event and the final Response conform`, () => {
      const { events, response } = replay(vector)
      expect(SpecValidator.validateEvents(events)).toEqual([])
      expect(SpecValidator.validateResponse(response)).toEqual([])
    })
  }
})

describe("a Response echoing every request field", () => {
  const response = ResponseSnapshot.make({
    id: "resp_1",
    createdAt: 1_700_000_000,
    model: "m",
    echo: {
      instructions: "be brief",
      tools: [
        { type: "function", name: "lookup", parameters: { type: "object", properties: {} } },
        { type: "function", name: "strict_one", description: "d", parameters: { type: "object" }, strict: true },
        { type: "custom", name: "apply_patch", description: null },
        { type: "namespace", name: "ns", tools: [{ type: "function", name: "inner" }] },
        { type: "web_search" }
      ],
      tool_choice: { type: "function", name: "lookup" },
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" } }, verbosity: "low" },
      reasoning: { effort: "high", summary: "auto" },
      temperature: 0.2,
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      top_logprobs: 2,
      max_output_tokens: 100,
      prompt_cache_key: "k",
      prompt_cache_retention: "24h",
      safety_identifier: "user-1",
      store: false,
      metadata: { a: "b" }
    }
  })

  it("conforms to the spec", () => {
    expect(SpecValidator.validateResponse(response)).toEqual([])
  })

  it("echoes what the request set, and null (never absent) where a function tool left a field out", () => {
    expect(response.tools[0]).toEqual({
      type: "function",
      name: "lookup",
      description: null,
      parameters: { type: "object", properties: {} },
      strict: null
    })
    expect(response.tools[2]).toEqual({ type: "custom", name: "apply_patch" })
    expect(response.text).toEqual({
      format: { type: "json_schema", name: "out", schema: { type: "object" }, description: null, strict: false },
      verbosity: "low"
    })
    expect(response).toMatchObject({
      service_tier: "default",
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      top_logprobs: 2,
      prompt_cache_retention: "24h",
      safety_identifier: "user-1",
      store: false
    })
  })
})
