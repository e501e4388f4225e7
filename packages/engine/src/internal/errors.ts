import { BackendError } from "@parlance/schema/ChatBackend"

export const invalidRequest = (message: string, param: string | null, code: string | null = null): BackendError =>
  new BackendError({ status: 400, type: "invalid_request_error", code, param, message })

export const contextLengthExceeded = (promptTokens: number, contextSize: number): BackendError =>
  invalidRequest(
    `This model's maximum context length is ${contextSize} tokens. However, your messages resulted in ` +
      `${promptTokens} tokens. Please reduce the length of the messages.`,
    "messages",
    "context_length_exceeded"
  )

export const serverBusy = (busy: number, waiting: number): BackendError =>
  new BackendError({
    status: 503,
    type: "server_error",
    code: "server_busy",
    param: null,
    message: `The engine is busy (${busy} generating, ${waiting} waiting); try again later.`
  })

export const serverError = (message: string): BackendError =>
  new BackendError({ status: 500, type: "server_error", code: "engine_error", param: null, message })

export const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
