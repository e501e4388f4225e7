/**
 * A WebSocket client message → what to do with it (docs/architecture.md#websocket-mode): a `response.create`
 * (the `POST /v1/responses` body, plus the WebSocket-only `stream_id` and `generate`), or the error to answer.
 * Pure: the connection decides what runs.
 */
import * as ApiError from "../../ApiError.js"
import { depthExceeds } from "../http/body.js"

export type ClientEvent =
  | {
      readonly _tag: "Create"
      /** The create body as `POST /v1/responses` takes it: streamed, without the WebSocket-only fields. */
      readonly body: Record<string, unknown>
      readonly streamId: string | undefined
      readonly generate: boolean
    }
  | { readonly _tag: "Invalid"; readonly error: ApiError.ApiError; readonly streamId: string | undefined }

const invalid = (error: ApiError.ApiError, streamId?: string): ClientEvent => ({ _tag: "Invalid", error, streamId })

/** One text message (a JSON event); `maxDepth` is the HTTP body's nesting limit. */
export const parse = (text: string, maxDepth: number): ClientEvent => {
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch (error) {
    return invalid(
      ApiError.badRequest(
        `The client event is not valid JSON: ${String((error as Error).message).slice(0, 200)}.`,
        null,
        "invalid_json"
      )
    )
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return invalid(ApiError.badRequest("A client event must be a JSON object.", null, "invalid_json"))
  }
  if (depthExceeds(event, maxDepth)) {
    return invalid(
      ApiError.badRequest(
        `The client event is nested deeper than ${maxDepth} levels of arrays and objects.`,
        null,
        "nesting_too_deep"
      )
    )
  }
  const { type, stream_id: streamId, generate, ...body } = event as Record<string, unknown>
  if (streamId !== undefined && (typeof streamId !== "string" || streamId === "")) {
    return invalid(ApiError.badRequest("stream_id must be a non-empty string.", "stream_id", "invalid_type"))
  }
  const lane = streamId as string | undefined
  if (type === "response.steer") {
    return invalid(
      ApiError.badRequest("Steering is not supported by this server.", "type", "steering_not_supported"),
      lane
    )
  }
  if (type !== "response.create") {
    return invalid(
      ApiError.badRequest(
        `Unknown client event type ${JSON.stringify(type)}: this server accepts 'response.create'.`,
        "type",
        "invalid_event_type"
      ),
      lane
    )
  }
  if (generate !== undefined && typeof generate !== "boolean") {
    return invalid(ApiError.badRequest("generate must be a boolean.", "generate", "invalid_type"), lane)
  }
  // Over WebSocket every response streams, and none runs in the background (the SDK's and the spec's rule).
  if (body.background === true) {
    return invalid(
      ApiError.badRequest("background is not supported over WebSocket.", "background", "unsupported_parameter"),
      lane
    )
  }
  if (body.stream === false) {
    return invalid(
      ApiError.badRequest("stream is implicit over WebSocket; do not send stream: false.", "stream", "invalid_value"),
      lane
    )
  }
  return { _tag: "Create", body: { ...body, stream: true }, streamId: lane, generate: generate !== false }
}

/** An error as the SDK's WebSocket `error` event (and the spec's WebSocketErrorEvent): always a string code. */
export const errorEvent = (error: ApiError.ApiError, streamId: string | undefined) => {
  const { type, code, message, param } = error.body.error
  return {
    type: "error" as const,
    status: error.status,
    error: { type, code: code ?? type, message, param: param ?? null },
    ...(streamId === undefined ? {} : { stream_id: streamId })
  }
}
