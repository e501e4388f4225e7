import { BackendError } from "@parlance/schema/ChatBackend"

export const invalidRequest = (message: string, param: string | null, code: string | null = null): BackendError =>
  new BackendError({ reason: "bad_request", code, param, message })

export const contextLengthExceeded = (promptTokens: number, contextSize: number): BackendError =>
  new BackendError({
    reason: "context_overflow",
    message:
      `This model's maximum context length is ${contextSize} tokens. However, your messages resulted in ` +
      `${promptTokens} tokens. Please reduce the length of the messages.`,
    param: "messages",
    code: "context_length_exceeded"
  })

export const serverBusy = (busy: number, waiting: number): BackendError =>
  new BackendError({
    reason: "overloaded",
    code: "server_busy",
    param: null,
    message: `The engine is busy (${busy} generating, ${waiting} waiting); try again later.`
  })

export const serverError = (message: string): BackendError =>
  new BackendError({ reason: "internal", code: "engine_error", param: null, message })

export const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
