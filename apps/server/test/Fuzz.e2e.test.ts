/**
 * Whatever a client sends, the server answers 200 or a 4xx OpenAI error body — never a 500, a crash, a hang,
 * or a stream without its terminal event. Bodies come from fast-check: mutations of valid requests and
 * arbitrary JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { validateStream } from "@parlance/translate"
import * as FastCheck from "effect/FastCheck"
import { type Harness, postSse, startHarness } from "./harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const json = FastCheck.jsonValue({ maxDepth: 3 })
const text = FastCheck.string({ maxLength: 20 })
const validItem = FastCheck.oneof(
  FastCheck.record({ role: FastCheck.constantFrom("user", "assistant", "system", "developer"), content: text }),
  FastCheck.record({ type: FastCheck.constant("function_call"), call_id: text, name: text, arguments: FastCheck.constantFrom("{}", '{"a":1}') }),
  FastCheck.record({ type: FastCheck.constant("function_call_output"), call_id: text, output: text }),
  FastCheck.record({ type: FastCheck.constant("reasoning"), summary: FastCheck.constantFrom(null, []), encrypted_content: FastCheck.constantFrom("x", null) })
)
const validTool = FastCheck.oneof(
  FastCheck.record({ type: FastCheck.constant("function"), name: FastCheck.stringMatching(/^[a-z_]{1,10}$/), parameters: FastCheck.constant({ type: "object", properties: { city: { type: "string" } } }) }),
  FastCheck.record({ type: FastCheck.constant("custom"), name: FastCheck.stringMatching(/^[a-z_]{1,10}$/) }),
  FastCheck.record({ type: FastCheck.constantFrom("web_search", "local_shell", "mcp") })
)
/** Mostly valid requests (so that generation runs), each field sometimes replaced by arbitrary JSON. */
const field = <A>(valid: FastCheck.Arbitrary<A>) => FastCheck.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: json, weight: 1 })
const body = FastCheck.record(
  {
    model: field(FastCheck.constant("fake-model")),
    input: field(FastCheck.oneof(text, FastCheck.array(validItem, { minLength: 1, maxLength: 4 }))),
    instructions: field(text),
    tools: field(FastCheck.array(validTool, { maxLength: 3 })),
    tool_choice: field(FastCheck.constantFrom("auto", "none", "required")),
    text: field(FastCheck.constantFrom({ format: { type: "text" } }, { format: { type: "json_object" } })),
    reasoning: field(FastCheck.constantFrom({ effort: "low" }, { summary: "auto" })),
    max_output_tokens: field(FastCheck.integer({ min: 1, max: 50 })),
    temperature: field(FastCheck.double({ min: 0, max: 2, noNaN: true })),
    stream: FastCheck.boolean(),
    store: field(FastCheck.boolean()),
    previous_response_id: FastCheck.oneof({ arbitrary: FastCheck.constant(undefined), weight: 8 }, { arbitrary: FastCheck.constantFrom("resp_missing", 3), weight: 1 }),
    include: field(FastCheck.constant(["reasoning.encrypted_content"])),
    metadata: field(FastCheck.constant({ k: "v" }))
  },
  { requiredKeys: ["stream", "model", "input"] }
)

const statuses = new Map<number, number>()
const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)

describe("fuzzed POST /v1/responses", () => {
  it("never answers 5xx, always an OpenAI error or a valid response/stream", { timeout: 120_000 }, async () => {
    await FastCheck.assert(
      FastCheck.asyncProperty(body, async (b) => {
        if (b.stream === true) {
          const capture = await postSse(`${h.url}/v1/responses`, b)
          seen(capture.status)
          if (capture.status === 200) {
            expect(validateStream(capture.events, { eventNames: capture.names, strict: true })).toEqual([])
            return
          }
          expect(capture.status).toBeGreaterThanOrEqual(400)
          expect(capture.status).toBeLessThan(500)
          return
        }
        const response = await fetch(`${h.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) })
        const payload = await response.json()
        seen(response.status)
        if (response.status === 200) expect(payload.object).toBe("response")
        else {
          expect(response.status).toBeGreaterThanOrEqual(400)
          expect(response.status).toBeLessThan(500)
          expect(Object.keys(payload.error).sort()).toEqual(["code", "message", "param", "type"])
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150) }
    )
    // The generator must reach both sides: accepted requests and refused ones.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0)
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true)
    console.log("fuzz statuses", Object.fromEntries(statuses))
  })
})
