/**
 * Responses input items (history, then this request's) → Chat messages (docs/architecture.md#request-translation).
 * Consecutive function calls merge into one assistant message; reasoning becomes the next assistant
 * message's `reasoning_content`; what cannot be honoured fails with the `param` that names it.
 */
import { type ChatCompletions, type ResponseObject, ResponsesInput } from "@parlance/schema"
import * as ToolMapping from "../ToolMapping.js"
import { InvalidRequest, UnsupportedFeature, type TranslateError } from "../TranslateError.js"

/** An item of a stored conversation, or of this request's input. */
export type HistoryItem = ResponsesInput.InputItem | ResponseObject.OutputItem

type Message = ChatCompletions.ChatMessage
type Part = ChatCompletions.ChatContentPart

/** A failure thrown inside the walk and caught at its top (keeps the walk readable). */
class Refused {
  constructor(readonly error: TranslateError) {}
}

interface Assistant {
  text: string
  reasoning: string
  toolCalls: Array<ChatCompletions.ChatToolCall>
  phase: ResponsesInput.Phase | undefined
}

/** The text of an `input_file` part, read before translation (by the server), or undefined when unread. */
export type FileText = (part: ResponsesInput.InputFile) => string | undefined

/** What a sealed blob (`encrypted_content`) held, once the server that sealed it opens it. */
export interface Unsealed {
  readonly kind: "reasoning" | "compaction"
  readonly text: string
}

export interface WalkOptions {
  readonly resolve: (id: string) => HistoryItem | undefined
  readonly fileText: FileText
  /** Opens `encrypted_content`; undefined for a blob this server did not make. */
  readonly unseal: (blob: string) => Unsealed | undefined
  /** Put `phase` on assistant chat messages (for upstreams that read it). */
  readonly assistantPhase: boolean
  /** Lossy but legal steps (skipped items, foreign blobs) are reported here. */
  readonly warnings: Array<string>
}

const unusable: ReadonlySet<string> = new Set(ResponsesInput.UnusableItemTypes)

/** The prefix of the message a compaction summary becomes. */
export const summaryPrefix = "Summary of the conversation so far:\n\n"

export const itemsToMessages = (
  items: ReadonlyArray<{ readonly item: HistoryItem; readonly param: string }>,
  options: WalkOptions
): { readonly messages: ReadonlyArray<Message> } | { readonly error: TranslateError } => {
  const { resolve, unseal, warnings, fileText } = options
  const messages: Array<Message> = []
  // The calls seen so far: a tool output must answer one of them (OpenAI refuses an orphan output).
  const calls = new Set<string>()
  let assistant: Assistant | undefined
  let reasoning = ""

  const openAssistant = (): Assistant => {
    if (assistant === undefined) {
      assistant = { text: "", reasoning, toolCalls: [], phase: undefined }
      reasoning = ""
    }
    return assistant
  }
  const flush = () => {
    if (assistant === undefined) return
    const a = assistant
    messages.push({
      role: "assistant",
      content: a.text === "" && a.toolCalls.length > 0 ? null : a.text,
      ...(a.reasoning !== "" ? { reasoning_content: a.reasoning } : {}),
      ...(a.toolCalls.length > 0 ? { tool_calls: a.toolCalls } : {}),
      ...(options.assistantPhase && a.phase !== undefined ? { phase: a.phase } : {})
    })
    assistant = undefined
  }

  const visit = (item: HistoryItem, param: string, depth: number): void => {
    // `{ id }` alone is an item reference (the SDK's types allow it untyped); `{ role, content }` a message.
    const type = item.type ?? ("role" in item ? "message" : "item_reference")
    switch (type) {
      case "message": {
        const m = item as ResponsesInput.MessageInput
        if (m.role === "assistant") {
          const a = openAssistant()
          a.text += assistantText(m.content)
          if (m.phase != null) a.phase = m.phase
          return
        }
        flush()
        const content = userContent(m.content, `${param}.content`, fileText)
        messages.push(m.role === "user" ? { role: "user", content } : { role: "system", content })
        return
      }
      case "function_call": {
        const c = item as ResponsesInput.FunctionCallInput
        const args = typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments)
        calls.add(c.call_id)
        openAssistant().toolCalls.push(call(c.call_id, ToolMapping.chatName(c.name, c.namespace), args))
        return
      }
      case "custom_tool_call": {
        const c = item as ResponsesInput.CustomToolCallInput
        const args = JSON.stringify({ [ToolMapping.customInputParam]: c.input })
        calls.add(c.call_id)
        openAssistant().toolCalls.push(call(c.call_id, ToolMapping.chatName(c.name, c.namespace), args))
        return
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        const o = item as ResponsesInput.FunctionCallOutputInput
        if (o.call_id == null || o.call_id === "") {
          // An output that names no call (a hosted program's call) answers no chat tool call.
          warnings.push(`${param}: a ${type} without call_id answers no tool call; it was skipped.`)
          return
        }
        if (!calls.has(o.call_id)) {
          throw new Refused(
            new InvalidRequest({
              param: `${param}.call_id`,
              message: `No tool call found for function call output with call_id ${o.call_id}.`
            })
          )
        }
        flush()
        messages.push({
          role: "tool",
          tool_call_id: o.call_id,
          content: userContent(o.output, `${param}.output`, fileText)
        })
        return
      }
      // OpenAI's hosted shell and apply_patch tools: their calls and outputs are the model's own history (which
      // commands ran, which files changed), so they are replayed as the tool calls and outputs they are.
      case "shell_call": {
        const c = item as ResponsesInput.ShellCallInput
        openAssistant().toolCalls.push(call(c.call_id, "shell", JSON.stringify(c.action)))
        return
      }
      case "apply_patch_call": {
        const c = item as ResponsesInput.ApplyPatchCallInput
        openAssistant().toolCalls.push(call(c.call_id, "apply_patch", JSON.stringify(c.operation)))
        return
      }
      case "shell_call_output": {
        flush()
        const o = item as ResponsesInput.ShellCallOutputInput
        messages.push({ role: "tool", tool_call_id: o.call_id, content: shellOutput(o) })
        return
      }
      case "apply_patch_call_output": {
        flush()
        const o = item as ResponsesInput.ApplyPatchCallOutputInput
        const output = o.output == null || o.output === "" ? "" : `\n${o.output}`
        messages.push({ role: "tool", tool_call_id: o.call_id, content: `${o.status}${output}` })
        return
      }
      case "reasoning": {
        const r = item as ResponsesInput.ReasoningInput
        // Raw reasoning text if present, else the sealed copy (a stateless client's replay), else the summary.
        const text =
          (r.content ?? []).map((p) => p.text).join("") ||
          opened(r.encrypted_content, "reasoning", param) ||
          (r.summary ?? []).map((p) => p.text).join("\n")
        // Encrypted-only reasoning (Codex: `summary: []` + `encrypted_content`) carries nothing readable: it must
        // not end the open assistant message, or consecutive function calls would split into several messages.
        if (text === "") return
        // Within one assistant turn, reasoning joins that turn's message: a chat message has one
        // reasoning_content, and consecutive function calls must stay one message with several `tool_calls`.
        if (assistant !== undefined) assistant.reasoning += (assistant.reasoning === "" ? "" : "\n") + text
        else reasoning += (reasoning === "" ? "" : "\n") + text
        return
      }
      case "compaction": {
        const summary = opened((item as ResponsesInput.CompactionInput).encrypted_content, "compaction", param)
        if (summary === "") return
        // The summary stands for the turns before it: what the model said and did there is dropped, the
        // instructions and the user's own words stay (as OpenAI's compacted output keeps user messages).
        flush()
        reasoning = ""
        // An earlier summary is superseded: the model read it when it wrote this one.
        const kept = messages.filter(
          (m) =>
            m.role !== "assistant" &&
            m.role !== "tool" &&
            !(m.role === "user" && typeof m.content === "string" && m.content.startsWith(summaryPrefix))
        )
        messages.length = 0
        messages.push(...kept, { role: "user", content: summaryPrefix + summary })
        return
      }
      case "compaction_trigger":
      case "additional_tools":
      case "configuration_update":
        // Read by toChatRequest: the trigger picks compaction mode, the tools join the request's tools, the
        // update sets the reasoning effort and text format.
        return
      case "item_reference": {
        const id = (item as ResponsesInput.ItemReferenceInput).id
        const found = depth < 4 ? resolve(id) : undefined
        if (found === undefined) {
          // OpenAI's wording: a store: false response is the usual cause.
          throw new Refused(
            new InvalidRequest({
              param: `${param}.id`,
              message: `Item with id '${id}' not found. Items are not persisted when \`store\` is set to false; send the item itself instead of a reference.`,
              code: "item_not_found"
            })
          )
        }
        return visit(found, param, depth + 1)
      }
      default:
        if (unusable.has(type)) {
          warnings.push(`${param}: an item of type '${type}' cannot be used by a local model; it was skipped.`)
          return
        }
        throw new Refused(
          new UnsupportedFeature({
            param: `${param}.type`,
            message: `Input items of type '${type}' are not supported.`
          })
        )
    }
  }

  /** The text of a sealed blob of the expected kind; "" (with a warning) for one this server cannot open. */
  const opened = (blob: string | null | undefined, kind: Unsealed["kind"], param: string): string => {
    if (blob == null || blob === "") return ""
    const content = unseal(blob)
    if (content !== undefined && content.kind === kind) return content.text
    warnings.push(`${param}.encrypted_content was not sealed by this server (or its key changed); it was ignored.`)
    return ""
  }

  try {
    for (const { item, param } of items) visit(item, param, 0)
    flush()
  } catch (e) {
    if (e instanceof Refused) return { error: e.error }
    throw e
  }
  return { messages }
}

/** A shell call's output as the model reads it: per command, its output streams and how it ended. */
const shellOutput = (o: ResponsesInput.ShellCallOutputInput): string =>
  o.output
    .map((entry) => {
      const ended =
        entry.outcome.type === "exit" ? `exit code ${entry.outcome.exit_code ?? "unknown"}` : entry.outcome.type
      return [
        entry.stdout === "" ? "" : `stdout:\n${entry.stdout}`,
        entry.stderr === "" ? "" : `stderr:\n${entry.stderr}`,
        `(${ended})`
      ]
        .filter((line) => line !== "")
        .join("\n")
    })
    .join("\n\n")

const call = (id: string, name: string, args: string): ChatCompletions.ChatToolCall => ({
  id,
  type: "function",
  function: { name, arguments: args }
})

type AnyPart = ResponsesInput.InputContentPart | ResponseObject.OutputText | ResponseObject.Refusal

const assistantText = (content: string | ReadonlyArray<AnyPart>): string =>
  typeof content === "string"
    ? content
    : content.map((p) => (p.type === "refusal" ? p.refusal : "text" in p ? p.text : "")).join("")

/** Text-only content collapses to one string: every local chat template accepts that. */
const userContent = (
  content: string | ReadonlyArray<AnyPart>,
  param: string,
  fileText: FileText
): string | ReadonlyArray<Part> => {
  if (typeof content === "string") return content
  const parts = content.map((p, j) => toPart(p, `${param}[${j}]`, fileText))
  return parts.every((p) => p.type === "text") ? parts.map((p) => (p.type === "text" ? p.text : "")).join("\n") : parts
}

const toPart = (part: AnyPart, param: string, fileText: FileText): Part => {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: part.text }
    case "refusal":
      return { type: "text", text: part.refusal }
    case "input_image":
      if (part.image_url == null) {
        throw new Refused(
          new UnsupportedFeature({
            param: `${param}.file_id`,
            message: "Images by file_id are not supported; send image_url (a URL or data URL)."
          })
        )
      }
      return {
        type: "image_url",
        image_url: { url: part.image_url, ...(part.detail != null ? { detail: part.detail } : {}) }
      }
    case "input_file": {
      // Files are read (fetched, PDF text extracted) before translation, which stays pure.
      const text = fileText(part)
      if (text === undefined) {
        throw new Refused(
          new UnsupportedFeature({
            param,
            message: "input_file parts are not read here; send the file's text as input_text."
          })
        )
      }
      return { type: "text", text }
    }
    case "input_audio":
      throw new Refused(new UnsupportedFeature({ param, message: "input_audio parts are not supported." }))
  }
}
