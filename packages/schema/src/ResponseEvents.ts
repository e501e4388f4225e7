/**
 * Responses streaming events (docs/architecture.md#event-grammar). One schema per event, field names as on the wire.
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { OutputItem, OutputText, ReasoningText, Refusal, Response, SummaryText } from "./ResponseObject.js"

const seq = { sequence_number: Schema.Number }
const item = { item_id: Schema.String, output_index: Schema.Number, ...seq }
const part = { ...item, content_index: Schema.Number }
const summary = { ...item, summary_index: Schema.Number }

const lifecycle = <T extends string>(type: T) =>
  Schema.Struct({ type: Schema.Literal(type), response: Response, ...seq })

/** @category schemas */ export const ResponseCreatedEvent = lifecycle("response.created")
/** @category schemas */ export const ResponseQueuedEvent = lifecycle("response.queued")
/** @category schemas */ export const ResponseInProgressEvent = lifecycle("response.in_progress")
/** @category schemas */ export const ResponseCompletedEvent = lifecycle("response.completed")
/** @category schemas */ export const ResponseIncompleteEvent = lifecycle("response.incomplete")
/** @category schemas */ export const ResponseFailedEvent = lifecycle("response.failed")

/** @category schemas */
export const OutputItemAddedEvent = Schema.Struct({
  type: Schema.Literal("response.output_item.added"),
  output_index: Schema.Number,
  item: OutputItem,
  ...seq
})
/** @category schemas */
export const OutputItemDoneEvent = Schema.Struct({
  type: Schema.Literal("response.output_item.done"),
  output_index: Schema.Number,
  item: OutputItem,
  ...seq
})

const Part = Schema.Union([OutputText, Refusal, ReasoningText])
/** @category schemas */
export const ContentPartAddedEvent = Schema.Struct({
  type: Schema.Literal("response.content_part.added"),
  part: Part,
  ...part
})
/** @category schemas */
export const ContentPartDoneEvent = Schema.Struct({
  type: Schema.Literal("response.content_part.done"),
  part: Part,
  ...part
})

const logprobs = { logprobs: Schema.Array(Schema.Unknown) }
/** @category schemas */
export const OutputTextDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.output_text.delta"),
  delta: Schema.String,
  ...logprobs,
  ...part
})
/** @category schemas */
export const OutputTextDoneEvent = Schema.Struct({
  type: Schema.Literal("response.output_text.done"),
  text: Schema.String,
  ...logprobs,
  ...part
})
/** @category schemas */
export const RefusalDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.refusal.delta"),
  delta: Schema.String,
  ...part
})
/** @category schemas */
export const RefusalDoneEvent = Schema.Struct({
  type: Schema.Literal("response.refusal.done"),
  refusal: Schema.String,
  ...part
})

/** @category schemas */
export const FunctionCallArgumentsDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.function_call_arguments.delta"),
  delta: Schema.String,
  ...item
})
/** @category schemas */
export const FunctionCallArgumentsDoneEvent = Schema.Struct({
  type: Schema.Literal("response.function_call_arguments.done"),
  name: Schema.String,
  arguments: Schema.String,
  ...item
})
/** @category schemas */
export const CustomToolCallInputDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.custom_tool_call_input.delta"),
  delta: Schema.String,
  ...item
})
/** @category schemas */
export const CustomToolCallInputDoneEvent = Schema.Struct({
  type: Schema.Literal("response.custom_tool_call_input.done"),
  input: Schema.String,
  ...item
})

/** @category schemas */
export const ReasoningTextDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_text.delta"),
  delta: Schema.String,
  ...part
})
/** @category schemas */
export const ReasoningTextDoneEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_text.done"),
  text: Schema.String,
  ...part
})
/** @category schemas */
export const ReasoningSummaryPartAddedEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_summary_part.added"),
  part: SummaryText,
  ...summary
})
/** @category schemas */
export const ReasoningSummaryPartDoneEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_summary_part.done"),
  part: SummaryText,
  ...summary
})
/** @category schemas */
export const ReasoningSummaryTextDeltaEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_summary_text.delta"),
  delta: Schema.String,
  ...summary
})
/** @category schemas */
export const ReasoningSummaryTextDoneEvent = Schema.Struct({
  type: Schema.Literal("response.reasoning_summary_text.done"),
  text: Schema.String,
  ...summary
})

/** A stream-level error (OpenAI sends it before the stream ends when no Response exists). @category schemas */
export const ErrorEvent = Schema.Struct({
  type: Schema.Literal("error"),
  code: Schema.NullOr(Schema.String),
  message: Schema.String,
  param: Schema.NullOr(Schema.String),
  ...seq
})

/** Automatic compaction's progress on its compaction item (openai 7.60 `ResponseCompactionCompactingEvent`). @category schemas */
export const CompactionCompactingEvent = Schema.Struct({
  type: Schema.Literal("response.compaction.compacting"),
  ...item
})

/** @category schemas */
export const ResponseStreamEvent = Schema.Union([
  ResponseCreatedEvent,
  ResponseQueuedEvent,
  ResponseInProgressEvent,
  ResponseCompletedEvent,
  ResponseIncompleteEvent,
  ResponseFailedEvent,
  OutputItemAddedEvent,
  OutputItemDoneEvent,
  ContentPartAddedEvent,
  ContentPartDoneEvent,
  OutputTextDeltaEvent,
  OutputTextDoneEvent,
  RefusalDeltaEvent,
  RefusalDoneEvent,
  FunctionCallArgumentsDeltaEvent,
  FunctionCallArgumentsDoneEvent,
  CustomToolCallInputDeltaEvent,
  CustomToolCallInputDoneEvent,
  ReasoningTextDeltaEvent,
  ReasoningTextDoneEvent,
  ReasoningSummaryPartAddedEvent,
  ReasoningSummaryPartDoneEvent,
  ReasoningSummaryTextDeltaEvent,
  ReasoningSummaryTextDoneEvent,
  CompactionCompactingEvent,
  ErrorEvent
]).annotate({ identifier: "ResponseStreamEvent" })
export type ResponseStreamEvent = typeof ResponseStreamEvent.Type
export type ResponseStreamEventType = ResponseStreamEvent["type"]
/** Narrow the union by `type`. */
export type EventOf<T extends ResponseStreamEventType> = Extract<ResponseStreamEvent, { type: T }>

/** The three events that end a stream. */
export const TerminalEventTypes = ["response.completed", "response.incomplete", "response.failed"] as const
