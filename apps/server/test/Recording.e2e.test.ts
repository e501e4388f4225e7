/**
 * A `--record-dir` recording is a stream vector: a session recorded through the real server (a reasoning model
 * calling a tool, its reasoning sealed; then the answer to the tool's output) gives files that validate
 * against the published vector JSON Schema and that `Vector.replay` reproduces exactly — copying one into
 * packages/translate/vectors makes it a test.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Vector } from "@parlance/translate"
import Ajv2020Module from "ajv/dist/2020.js"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { vectorDir } from "./fakeUpstream.js"
import { type Harness, postSse, startHarness } from "./harness.js"

const Ajv2020 = Ajv2020Module.default
const schema = JSON.parse(readFileSync(join(vectorDir, "vector.schema.json"), "utf8"))
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema)
const recordDir = mkdtempSync(join(tmpdir(), "parlance-recording-"))

let h: Harness
beforeAll(async () => {
  h = await startHarness({ recordDir })
})
afterAll(() => h.close())

/** The recording of response `id`, once the recorder (which writes off the stream's path) has written it. */
const recording = async (id: string): Promise<Record<string, any>> => {
  const file = join(recordDir, `${id}.json`)
  for (let waited = 0; waited < 10_000; waited += 20) {
    if (existsSync(join(recordDir, `${id}.sse`))) {
      try {
        return JSON.parse(readFileSync(file, "utf8"))
      } catch {
        // still being written
      }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no recording for ${id}`)
}

const tools = [
  {
    type: "function",
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
]

describe("--record-dir writes stream vectors", () => {
  it("a recorded two-turn session validates against the vector schema and replays exactly", async () => {
    const first = await postSse(`${h.url}/v1/responses`, {
      model: "reasoning-model",
      input: "Weather in Paris?",
      tools,
      include: ["reasoning.encrypted_content"],
      stream: true
    })
    const firstResponse = first.events.at(-1).response
    const call = firstResponse.output.find((i: any) => i.type === "function_call")
    expect(call).toBeDefined()
    const second = await fetch(`${h.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "reasoning-model",
        previous_response_id: firstResponse.id,
        input: [{ type: "function_call_output", call_id: call.call_id, output: "18°C" }],
        tools
      })
    }).then((r) => r.json())
    expect(second.status).toBe("completed")

    const files = [await recording(firstResponse.id), await recording(second.id)]
    // The first turn sealed its reasoning: the blob is in the file, as every id and clock reading drawn.
    expect(files[0]!.context.seal.kind).toBe("reasoning")
    expect(files[0]!.context.seal.blobs).toHaveLength(1)
    expect(files[0]!.events).toEqual(first.events)
    for (const file of files) {
      expect(validate(file) ? [] : validate.errors).toEqual([])
      expect(file.kind).toBe("stream")
      expect(file.context.clock).toHaveLength(1)
      const replayed = Vector.replay(file)
      expect(replayed.mismatches).toEqual([])
      expect(replayed.actual).toEqual(file.events)
    }
    // A recording altered is caught (replay is not a tautology).
    const altered = structuredClone(files[1]!)
    altered.context.clock[0] += 1
    expect(Vector.replay(altered).mismatches[0]).toMatch(/completed_at/)
  })
})
