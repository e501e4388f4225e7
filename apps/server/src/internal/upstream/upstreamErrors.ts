/**
 * Every way an upstream can fail, as a BackendError with its reason: written once, for the request (Upstream.ts)
 * and for the body it streams back (upstreamCompletion.ts). Statuses are the server's business (ApiError).
 * Messages go to clients: they say what happened and never where the upstream is or what the socket said —
 * that is for the log (`detail`, written by Upstream.ts).
 */
import { ChatBackend } from "@parlance/schema"

const make = (
  reason: ChatBackend.BackendErrorReason,
  message: string,
  code: string | null,
  param: string | null = null
) => new ChatBackend.BackendError({ reason, message, code, param })

/** The upstream's own error message, from an OpenAI-style body or its plain text. */
const upstreamMessage = (text: string): { message: string; param: string | null; code: string | null } => {
  try {
    const body = JSON.parse(text) as {
      error?: { message?: string; param?: string; code?: string | number } | string
      message?: string
    }
    if (typeof body.error === "string") return { message: body.error, param: null, code: null }
    if (body.error?.message) {
      return {
        message: body.error.message,
        param: body.error.param ?? null,
        code: body.error.code === undefined || body.error.code === null ? null : String(body.error.code)
      }
    }
    if (body.message) return { message: body.message, param: null, code: null }
  } catch {
    // not JSON
  }
  return { message: text.slice(0, 500) || "(empty body)", param: null, code: null }
}

/** An answer with a non-2xx status: the status says why, the body says what. */
export const fromStatus = (status: number, text: string): ChatBackend.BackendError => {
  const { message, param, code } = upstreamMessage(text)
  const said = `Upstream answered ${status}: ${message}`
  if (status === 429) return make("rate_limited", said, code ?? "rate_limit_exceeded", param)
  if (status === 503) return make("overloaded", said, code ?? "upstream_unavailable", param)
  if (status >= 500) return make("upstream_error", said, code ?? "upstream_error", param)
  if (status === 401 || status === 403)
    return make(
      "upstream_error",
      `The upstream server refused this server's credentials (status ${status}).`,
      "upstream_auth_failed",
      param
    )
  if (status === 404) return make("not_found", said, code, param)
  if (code === "context_length_exceeded") return make("context_overflow", said, code, param)
  return make("bad_request", said, code, param)
}

export const connectTimeout = (ms: number) =>
  make("timeout", `The upstream server did not answer within ${ms} ms.`, "upstream_timeout")

export const unreachable = () => make("unreachable", "The upstream server is unreachable.", "upstream_unreachable")

export const modelsUnlisted = () =>
  make("unreachable", "The upstream server did not list its models.", "upstream_unreachable")

/** What the log says about a failed call: the socket's own words (ECONNREFUSED 127.0.0.1:8081…). */
export const detail = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause
  return [messageOf(error), cause?.code, cause?.message].filter((part) => part !== undefined && part !== "").join(": ")
}

export const idleTimeout = (ms: number) =>
  make("timeout", `The upstream sent nothing for ${ms} ms.`, "upstream_timeout")

export const broken = () =>
  make("upstream_error", "The connection to the upstream server broke.", "upstream_disconnected")

export const noBody = () => make("upstream_error", "The upstream answered with no body.", "upstream_disconnected")

export const noDone = () =>
  make("upstream_error", "The upstream closed the stream without [DONE].", "upstream_disconnected")

/** What this upstream cannot do at all (counting tokens without a tokenizer endpoint). */
export const notSupported = (message: string) => make("not_supported", message, "not_supported")

/** An error payload or a malformed chunk inside the stream (`ChunkDecode`'s verdict). */
export const inStream = (message: string, code: string) => make("upstream_error", message, code)

const messageOf = (error: unknown): string => String((error as Error | undefined)?.message ?? error)
