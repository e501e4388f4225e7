/**
 * `parlance chat`'s rendering, as a pure fold over Responses events: each event becomes the text to write
 * (text deltas as they are, reasoning dimmed, tool calls as `name(arguments)`, failures on stderr).
 */
import { isObject, type Json } from "./json.js"

export interface Style {
  /** ANSI styling (only when stdout is a TTY). */
  readonly ansi: boolean
}

export interface Turn {
  readonly responseId: string | undefined
  /** The terminal event's type, once seen. */
  readonly terminal: string | undefined
  /** What kind of item is open (so each gets its own lines). */
  readonly open: "text" | "reasoning" | "call" | undefined
  /** Whether the last thing written ended a line. */
  readonly atLineStart: boolean
}

export interface Write {
  readonly to: "out" | "err"
  readonly text: string
}

export const initialTurn: Turn = { responseId: undefined, terminal: undefined, open: undefined, atLineStart: true }

const dim = (style: Style, text: string) => (style.ansi ? `\x1b[2m${text}\x1b[22m` : text)
const red = (style: Style, text: string) => (style.ansi ? `\x1b[31m${text}\x1b[39m` : text)
const cyan = (style: Style, text: string) => (style.ansi ? `\x1b[36m${text}\x1b[39m` : text)

const str = (v: unknown): string => (typeof v === "string" ? v : "")

const out = (text: string): Write => ({ to: "out", text })
const newline = (turn: Turn): Array<Write> => (turn.atLineStart ? [] : [out("\n")])
const endsLine = (writes: ReadonlyArray<Write>, before: boolean): boolean => {
  const last = writes.filter((w) => w.to === "out" && w.text !== "").at(-1)
  return last === undefined ? before : last.text.endsWith("\n")
}

/** The message of a `response.failed` / `error` event. */
const failureText = (e: Json): string => {
  const response = isObject(e.response) ? e.response : undefined
  const error = isObject(response?.error) ? response.error : isObject(e.error) ? e.error : e
  const code = str(error.code)
  return `${str(error.message) || "the response failed"}${code ? ` (${code})` : ""}`
}

const step = (style: Style, turn: Turn, e: Json): readonly [Turn, ReadonlyArray<Write>] => {
  const type = str(e.type)
  switch (type) {
    case "response.created":
      return [{ ...turn, responseId: isObject(e.response) ? str(e.response.id) || undefined : undefined }, []]
    case "response.output_item.added": {
      const item = isObject(e.item) ? e.item : {}
      if (item.type === "function_call" || item.type === "custom_tool_call") {
        return [{ ...turn, open: "call" }, [...newline(turn), out(cyan(style, `→ ${str(item.name)}(`))]]
      }
      if (item.type === "reasoning")
        return [{ ...turn, open: "reasoning" }, [...newline(turn), ...(style.ansi ? [] : [out("thinking: ")])]]
      return [{ ...turn, open: "text" }, newline(turn)]
    }
    case "response.output_text.delta":
    case "response.refusal.delta":
      return [turn, [out(str(e.delta))]]
    case "response.reasoning_text.delta":
    case "response.reasoning_summary_text.delta":
      return [turn, [out(dim(style, str(e.delta)))]]
    case "response.function_call_arguments.delta":
    case "response.custom_tool_call_input.delta":
      return [turn, [out(cyan(style, str(e.delta)))]]
    case "response.output_item.done":
      return [{ ...turn, open: undefined }, turn.open === "call" ? [out(cyan(style, ")\n"))] : newline(turn)]
    case "response.completed":
      return [{ ...turn, terminal: type }, newline(turn)]
    case "response.incomplete": {
      const response = isObject(e.response) ? e.response : {}
      const reason = isObject(response.incomplete_details) ? str(response.incomplete_details.reason) : ""
      return [
        { ...turn, terminal: type },
        [...newline(turn), { to: "err", text: `${dim(style, `[incomplete: ${reason || "unknown reason"}]`)}\n` }]
      ]
    }
    case "response.failed":
    case "error":
      return [
        { ...turn, terminal: type },
        [...newline(turn), { to: "err", text: `${red(style, `error: ${failureText(e)}`)}\n` }]
      ]
    default:
      return [turn, []]
  }
}

/** One event → the turn's next state and what to write. Anything that is not an event object is ignored. */
export const render = (style: Style, turn: Turn, event: unknown): readonly [Turn, ReadonlyArray<Write>] => {
  if (!isObject(event)) return [turn, []]
  const [next, writes] = step(style, turn, event)
  return [{ ...next, atLineStart: endsLine(writes, turn.atLineStart) }, writes]
}

/** An error line, styled. */
export const errorWrite = (style: Style, message: string): Write => ({
  to: "err",
  text: `${red(style, `error: ${message}`)}\n`
})
