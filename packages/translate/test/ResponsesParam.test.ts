import { describe, expect, it } from "@effect/vitest"
import * as ResponsesParam from "../src/ResponsesParam.js"

describe("ResponsesParam.fromChat", () => {
  const cases: ReadonlyArray<readonly [string | null, string | null]> = [
    ["response_format.json_schema.schema.properties.n.multipleOf", "text.format.schema.properties.n.multipleOf"],
    ["response_format.json_schema.schema.anyOf[1].pattern", "text.format.schema.anyOf[1].pattern"],
    ["response_format.json_schema.schema", "text.format.schema"],
    ["response_format.json_schema.name", "text.format.name"],
    ["response_format", "text.format"],
    ["messages", "input"],
    ["messages[3].content[0]", "input"],
    ["max_completion_tokens", "max_output_tokens"],
    ["max_tokens", "max_output_tokens"],
    ["reasoning_effort", "reasoning.effort"],
    // No sure counterpart, or not a prefix at a boundary: unchanged.
    ["tools[0].function.parameters", "tools[0].function.parameters"],
    ["messagesX", "messagesX"],
    ["temperature", "temperature"],
    [null, null]
  ]
  for (const [chat, responses] of cases)
    it(`${chat} → ${responses}`, () => expect(ResponsesParam.fromChat(chat)).toBe(responses))
})
