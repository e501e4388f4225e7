/**
 * A Chat Completions request param, as a backend names it in an error → the Responses request param it was
 * translated from, so a Responses client reads the name it sent
 * (`response_format.json_schema.schema.properties.n` → `text.format.schema.properties.n`). Names without a
 * sure counterpart (`tools[i]…`: built-in tools are skipped and namespaces flattened, so indexes differ)
 * pass unchanged.
 * @since 0.1.0
 */

/** Longest prefix first; `keepRest`: whether the path below the prefix carries over. */
const RULES: ReadonlyArray<readonly [chat: string, responses: string, keepRest: boolean]> = [
  // `text.format` holds what Chat nests under `response_format.json_schema` (name, schema, strict).
  ["response_format.json_schema", "text.format", true],
  ["response_format", "text.format", true],
  // Messages and input items do not line up one to one (instructions, merged items): name the whole input.
  ["messages", "input", false],
  ["max_completion_tokens", "max_output_tokens", true],
  ["max_tokens", "max_output_tokens", true],
  ["reasoning_effort", "reasoning.effort", true],
  ["parallel_tool_calls", "parallel_tool_calls", true]
]

/**
 * The Responses name of a Chat Completions `param` (`null` stays `null`).
 * @category mapping
 */
export const fromChat = (param: string | null): string | null => {
  if (param === null) return null
  for (const [chat, responses, keepRest] of RULES) {
    if (!param.startsWith(chat)) continue
    const rest = param.slice(chat.length)
    if (rest !== "" && rest[0] !== "." && rest[0] !== "[") continue
    return keepRest ? responses + rest : responses
  }
  return param
}
