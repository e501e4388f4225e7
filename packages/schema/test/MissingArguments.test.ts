import { describe, expect, it } from "@effect/vitest"
import { ChatCompletions } from "../src/index.js"

describe("ChatCompletions.missingArguments (the one rule for calls that streamed no arguments)", () => {
  it("fills nothing, or only whitespace, with the empty object", () => {
    expect(ChatCompletions.missingArguments("")).toBe("{}")
    expect(ChatCompletions.missingArguments(" \n")).toBe("{}")
  })
  it("adds nothing to arguments that were streamed", () => {
    expect(ChatCompletions.missingArguments("{}")).toBe("")
    expect(ChatCompletions.missingArguments('{"city":"Paris"}')).toBe("")
  })
})
