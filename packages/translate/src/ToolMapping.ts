/**
 * How a chat function name maps back to the Responses tool it came from: Codex's `custom` tools travel as a
 * function with one string parameter (`input`), `namespace` tools as `<namespace>__<name>` functions.
 * @since 0.1.0
 */

/** @category models */
export interface ToolTarget {
  readonly kind: "function" | "custom"
  readonly name: string
  readonly namespace?: string
}

/** Chat function name → target. Names absent from the map are plain functions. @category models */
export type ToolMap = ReadonlyMap<string, ToolTarget>

/** The separator between a namespace and a tool name in the chat function name. */
export const namespaceSeparator = "__"

/** The one string parameter a custom tool's function takes. */
export const customInputParam = "input"

export const chatName = (name: string, namespace?: string | null): string =>
  namespace ? `${namespace}${namespaceSeparator}${name}` : name

export const resolve = (tools: ToolMap | undefined, chatFunctionName: string): ToolTarget =>
  tools?.get(chatFunctionName) ?? { kind: "function", name: chatFunctionName }

/**
 * The freeform text of a custom tool call from the function's JSON arguments (`{"input": "…"}`).
 * Models sometimes skip the wrapper object; then the raw text is the input.
 */
export const customInput = (args: string): string => {
  try {
    const parsed: unknown = JSON.parse(args)
    if (typeof parsed === "string") return parsed
    if (parsed !== null && typeof parsed === "object" && customInputParam in parsed) {
      const value = (parsed as Record<string, unknown>)[customInputParam]
      return typeof value === "string" ? value : JSON.stringify(value)
    }
  } catch {
    // not JSON: the model wrote the input directly
  }
  return args
}
