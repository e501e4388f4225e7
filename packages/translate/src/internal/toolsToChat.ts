/** Responses `tools` / `tool_choice` → Chat Completions tools, and the map back (custom, namespace). */
import type { ChatCompletions, ResponsesTools } from "@parlance/schema"
import * as Result from "effect/Result"
import * as ToolMapping from "../ToolMapping.js"
import { InvalidRequest, UnsupportedFeature, type TranslateError } from "../TranslateError.js"

export interface ChatTools {
  readonly tools: ReadonlyArray<ChatCompletions.ChatFunctionTool>
  readonly toolChoice: ChatCompletions.ChatToolChoice | undefined
  readonly map: ToolMapping.ToolMap
}

const emptyParameters = { type: "object", properties: {} }

const customParameters = (tool: ResponsesTools.CustomTool) => ({
  type: "object",
  properties: {
    [ToolMapping.customInputParam]: {
      type: "string",
      description:
        tool.format?.type === "grammar" && tool.format.definition
          ? `Raw input, following this ${tool.format.syntax ?? ""} grammar:\n${tool.format.definition}`
          : "The raw input to the tool, as free text."
    }
  },
  required: [ToolMapping.customInputParam],
  additionalProperties: false
})

const toFunction = (
  tool: ResponsesTools.FunctionTool | ResponsesTools.CustomTool,
  namespace: string | undefined,
  map: Map<string, ToolMapping.ToolTarget>
): ChatCompletions.ChatFunctionTool => {
  const name = ToolMapping.chatName(tool.name, namespace)
  const ns = namespace === undefined ? {} : { namespace }
  map.set(name, { kind: tool.type, name: tool.name, ...ns })
  const description = tool.description ?? undefined
  const parameters = tool.type === "custom" ? customParameters(tool) : (tool.parameters ?? emptyParameters)
  const strict = tool.type === "function" && tool.strict != null ? { strict: tool.strict } : {}
  return { type: "function", function: { name, ...(description ? { description } : {}), parameters, ...strict } }
}

export const toChatTools = (
  tools: ReadonlyArray<ResponsesTools.Tool>,
  choice: ResponsesTools.ToolChoice | null | undefined,
  strict: boolean,
  warnings: Array<string>
): Result.Result<ChatTools, TranslateError> => {
  const map = new Map<string, ToolMapping.ToolTarget>()
  let chat: Array<ChatCompletions.ChatFunctionTool> = []
  for (const [i, tool] of tools.entries()) {
    switch (tool.type) {
      case "function":
      case "custom":
        chat.push(toFunction(tool, undefined, map))
        break
      case "namespace":
        for (const inner of tool.tools) chat.push(toFunction(inner, tool.name, map))
        break
      default: {
        const message = `The built-in tool '${tool.type}' cannot run on a local model.`
        if (strict)
          return Result.fail(new UnsupportedFeature({ param: `tools[${i}].type`, message, code: "unsupported_tool" }))
        warnings.push(`${message} It was skipped.`)
      }
    }
  }
  const find = (name: string, param: string) =>
    chat.some((t) => t.function.name === name)
      ? Result.succeed(name)
      : Result.fail(new InvalidRequest({ param, message: `tool_choice names '${name}', which is not in tools.` }))

  let toolChoice: ChatCompletions.ChatToolChoice | undefined
  if (choice == null) toolChoice = undefined
  else if (typeof choice === "string") toolChoice = choice
  else if (choice.type === "function" || choice.type === "custom") {
    const name = find(choice.name, "tool_choice.name")
    if (Result.isFailure(name)) return Result.fail(name.failure)
    toolChoice = { type: "function", function: { name: name.success } }
  } else if (choice.type === "allowed_tools") {
    const allowed = new Set(choice.tools.map((t) => t.name).filter((n): n is string => n !== undefined))
    chat = chat.filter((t) => allowed.has(t.function.name))
    toolChoice = choice.mode
  } else {
    const message = `tool_choice '${choice.type}' names a built-in tool that cannot run on a local model.`
    if (strict)
      return Result.fail(new UnsupportedFeature({ param: "tool_choice.type", message, code: "unsupported_tool" }))
    warnings.push(`${message} 'auto' was used.`)
    toolChoice = "auto"
  }
  if (chat.length === 0 && toolChoice !== undefined && toolChoice !== "none" && toolChoice !== "auto") {
    return Result.fail(
      new InvalidRequest({
        param: "tool_choice",
        message: "tool_choice requires a tool, but no usable tool was given."
      })
    )
  }
  return Result.succeed({ tools: chat, toolChoice: chat.length === 0 ? undefined : toolChoice, map })
}
