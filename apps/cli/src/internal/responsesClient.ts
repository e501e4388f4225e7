/**
 * The HTTP edge shared by `chat` and `check`: POST `/responses` to any server, read its SSE body with the
 * translate decoder (so the `event:` names are kept), and turn every failure into a value, never a throw.
 */
import { normalizeBaseUrl } from "@parlance/server/Upstream"
import { Sse } from "@parlance/translate"

/** @category models */
export interface Endpoint {
  /** e.g. `http://127.0.0.1:8080/v1` (a trailing `/v1` is added when missing). */
  readonly baseUrl: string
  readonly apiKey?: string | undefined
  /** Whole-request limit (ms). */
  readonly timeoutMs?: number
}

/** One SSE message whose data was parsed (or not). */
export interface Frame {
  readonly event: string | undefined
  readonly data: string
  /** The parsed JSON, or undefined for `[DONE]` and unparsable data. */
  readonly json: unknown
}

/** What came back from one request: an HTTP answer (any status) or a network failure. */
export type Outcome =
  | {
      readonly _tag: "Http"
      readonly status: number
      readonly contentType: string
      /** The raw body, exactly as received (the SSE capture `--save` writes). */
      readonly text: string
      readonly frames: ReadonlyArray<Frame>
    }
  | { readonly _tag: "NetworkError"; readonly message: string }

/** The same base-URL rule as `--upstream` (a trailing `/v1` is added when missing). */
export { normalizeBaseUrl }

const headers = (endpoint: Endpoint): Record<string, string> => ({
  "content-type": "application/json",
  accept: "text/event-stream, application/json",
  ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {})
})

const parse = (data: string): unknown => {
  if (data === "[DONE]") return undefined
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

const toFrame = (m: Sse.SseMessage): Frame => ({ event: m.event, data: m.data, json: parse(m.data) })

const describeNetworkError = (url: string, error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = typeof cause === "object" && cause !== null && "code" in cause ? ` (${String(cause.code)})` : ""
  if (error instanceof Error && error.name === "TimeoutError") return `request to ${url} timed out`
  const message = cause instanceof Error ? cause.message : String(cause)
  return `cannot reach ${url}: ${message}${code}`
}

/**
 * POST a body to `<baseUrl>/responses`. With `onFrame`, SSE frames are handed over as they arrive (for
 * `chat`); the whole body and every frame are returned at the end either way.
 */
export const postResponses = async (
  endpoint: Endpoint,
  body: unknown,
  onFrame?: (frame: Frame) => void
): Promise<Outcome> => {
  const url = `${normalizeBaseUrl(endpoint.baseUrl)}/responses`
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: headers(endpoint),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs ?? 300_000)
    })
    const contentType = response.headers.get("content-type") ?? ""
    const isSse = contentType.includes("text/event-stream")
    const decoder = Sse.makeDecoder()
    const frames: Array<Frame> = []
    const take = (messages: ReadonlyArray<Sse.SseMessage>) => {
      for (const m of messages) {
        const frame = toFrame(m)
        frames.push(frame)
        onFrame?.(frame)
      }
    }
    let text = ""
    const utf8 = new TextDecoder()
    if (response.body !== null) {
      const reader = response.body.getReader()
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        const piece = utf8.decode(read.value, { stream: true })
        text += piece
        if (isSse) take(decoder.feed(piece))
      }
    }
    text += utf8.decode()
    if (isSse) take(decoder.end())
    return { _tag: "Http", status: response.status, contentType, text, frames }
  } catch (error) {
    return { _tag: "NetworkError", message: describeNetworkError(url, error) }
  }
}

/** `GET <baseUrl>/models` → the first model id, if the server lists any. */
export const firstModel = async (endpoint: Endpoint): Promise<string | undefined> => {
  try {
    const response = await fetch(`${normalizeBaseUrl(endpoint.baseUrl)}/models`, {
      headers: headers(endpoint),
      signal: AbortSignal.timeout(10_000)
    })
    if (!response.ok) return undefined
    const body = (await response.json()) as { data?: Array<{ id?: unknown }> }
    const id = body.data?.[0]?.id
    return typeof id === "string" ? id : undefined
  } catch {
    return undefined
  }
}

/** An OpenAI error body (`{ error: { message, type, code } }`) as one line, or the body's start. */
export const errorLine = (status: number, text: string): string => {
  try {
    const body = JSON.parse(text) as { error?: { message?: string; type?: string; code?: string | null } | string }
    if (typeof body.error === "string") return `HTTP ${status}: ${body.error}`
    if (body.error?.message !== undefined) {
      const kind = [body.error.type, body.error.code].filter((s) => typeof s === "string" && s !== "").join("/")
      return `HTTP ${status}${kind ? ` ${kind}` : ""}: ${body.error.message}`
    }
  } catch {
    // not JSON
  }
  const snippet = text.trim().slice(0, 200)
  return `HTTP ${status}${snippet ? `: ${snippet}` : ""}`
}
