/**
 * Every route the server serves, once: method, path, summary, and the schemas of what it reads and answers —
 * the same Effect Schemas the server decodes requests with and the wire schemas its answers follow. `GET
 * /openapi.json` is generated from this table (internal/http/openApi.ts), the metrics label routes from it, and a
 * test holds HttpApp's router to it: every served route has its row, and no row names a route that is not served
 * (docs/architecture.md#routes). A new route is one row here.
 */
import {
  ChatCompletions,
  Conversations,
  ResponseEvents,
  ResponseObject,
  ResponsesInput,
  ResponsesRequest
} from "@parlance/schema"
import * as Schema from "effect/Schema"
import { Catalog } from "./catalog.js"

/** A query parameter (all are optional strings on the wire). */
export interface QueryParam {
  readonly name: string
  readonly description: string
  readonly schema: Schema.Top
}

/** One route. `path` is written as OpenAPI writes it (`{id}`); the router's form is `:id`. */
export interface ApiRoute {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  readonly summary: string
  readonly description?: string
  /** The JSON body it decodes. */
  readonly body?: Schema.Top
  readonly query?: ReadonlyArray<QueryParam>
  /** What a 200 carries: JSON, server-sent events (`stream: true`), or text. */
  readonly ok: {
    readonly json?: Schema.Top
    readonly events?: Schema.Top
    readonly text?: { readonly contentType: string; readonly description: string }
    /** A WebSocket upgrade (101): what is spoken on the socket. */
    readonly upgrade?: string
  }
}

const idParam = "{id}"

/** `DELETE /v1/responses/{id}`. */
export const DeletedResponse = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("response"),
  deleted: Schema.Literal(true)
}).annotate({ identifier: "DeletedResponse" })

/** An input item as stored and listed: typed, with an id. */
const ListedItem = Schema.Union([ResponsesInput.InputItem, ResponseObject.OutputItem])

/** `GET /v1/responses/{id}/input_items`: OpenAI's cursor page. */
export const InputItemList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(ListedItem),
  first_id: Schema.NullOr(Schema.String),
  last_id: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
}).annotate({ identifier: "InputItemList" })

/** `POST /v1/responses/compact`: OpenAI's `CompactedResponse`. */
export const CompactedResponse = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("response.compaction"),
  created_at: Schema.Number,
  output: Schema.Array(ListedItem),
  usage: Schema.NullOr(ResponseObject.Usage)
}).annotate({ identifier: "CompactedResponse" })

/** `POST /v1/responses/input_tokens`: OpenAI's `InputTokenCountResponse`. */
export const InputTokenCount = Schema.Struct({
  object: Schema.Literal("response.input_tokens"),
  input_tokens: Schema.Number
}).annotate({ identifier: "InputTokenCount" })

/** The conversation object (`/v1/conversations`). */
export const Conversation = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("conversation"),
  created_at: Schema.Number,
  metadata: Schema.Record(Schema.String, Schema.String)
}).annotate({ identifier: "Conversation" })

/** `DELETE /v1/conversations/{id}`. */
export const ConversationDeleted = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("conversation.deleted"),
  deleted: Schema.Literal(true)
}).annotate({ identifier: "ConversationDeleted" })

/** `GET /health`: the status alone without the key; with it, also the backend and its load. */
export const Health = Schema.Struct({
  status: Schema.Literals(["ok", "draining"]),
  backend: Schema.optionalKey(Schema.String),
  active_streams: Schema.optionalKey(Schema.Number),
  load: Schema.optionalKey(Schema.Struct({ busy: Schema.Number, waiting: Schema.Number, size: Schema.Number }))
}).annotate({ identifier: "Health" })

const streamQuery: ReadonlyArray<QueryParam> = [
  {
    name: "stream",
    description:
      "`true`: a background response's events again, then live to its end (any other response: a 400, as on OpenAI).",
    schema: Schema.Literals(["true", "false"])
  },
  {
    name: "starting_after",
    description: "With `stream=true`: only the events after this sequence number.",
    schema: Schema.String
  }
]

/** OpenAI's cursor pagination, the same on every list route. */
const after: QueryParam = { name: "after", description: "An item id: the page starts after it.", schema: Schema.String }
const limit: QueryParam = { name: "limit", description: "1 to 100 (default 20).", schema: Schema.String }
const order: QueryParam = {
  name: "order",
  description: "`asc` or `desc` (default).",
  schema: Schema.Literals(["asc", "desc"])
}

export const apiRoutes: ReadonlyArray<ApiRoute> = [
  {
    method: "POST",
    path: "/v1/responses",
    summary: "Create a response",
    description: "Generates a model response; with `stream: true` the answer is server-sent events.",
    body: ResponsesRequest.CreateResponseRequest,
    ok: { json: ResponseObject.Response, events: ResponseEvents.ResponseStreamEvent }
  },
  {
    method: "GET",
    path: "/v1/responses",
    summary: "Responses over WebSocket",
    description:
      "A WebSocket upgrade (`Upgrade: websocket`; a plain GET is answered 426). The client sends `response.create` events (the create body plus `stream_id` and `generate`); the server answers with the same events as the SSE stream, each with the create's `stream_id`.",
    ok: { upgrade: "Switching to the WebSocket protocol: client and server events as JSON text frames." }
  },
  {
    method: "POST",
    path: "/v1/responses/input_tokens",
    summary: "Count a request's input tokens",
    description:
      "The exact number of prompt tokens a create with this body would use (the engine's tokenizer, or the upstream's tokenize endpoint). 501 `not_supported` when the backend cannot count.",
    body: ResponsesRequest.CreateResponseRequest,
    ok: { json: InputTokenCount }
  },
  {
    method: "POST",
    path: "/v1/responses/compact",
    summary: "Compact a conversation",
    description: "Summarises the conversation into one sealed `compaction` item. Nothing is stored.",
    body: ResponsesRequest.CreateResponseRequest,
    ok: { json: CompactedResponse }
  },
  {
    method: "GET",
    path: `/v1/responses/${idParam}`,
    summary: "Retrieve a stored response",
    query: streamQuery,
    ok: { json: ResponseObject.Response }
  },
  {
    method: "DELETE",
    path: `/v1/responses/${idParam}`,
    summary: "Delete a stored response",
    ok: { json: DeletedResponse }
  },
  {
    method: "POST",
    path: `/v1/responses/${idParam}/cancel`,
    summary: "Cancel a response in progress",
    description: "Stops the generation, here or on another replica sharing the store, and returns the response.",
    ok: { json: ResponseObject.Response }
  },
  {
    method: "GET",
    path: `/v1/responses/${idParam}/input_items`,
    summary: "List a response's input items",
    query: [
      after,
      { name: "before", description: "An item id: the page ends before it.", schema: Schema.String },
      limit,
      order
    ],
    ok: { json: InputItemList }
  },
  {
    method: "POST",
    path: "/v1/conversations",
    summary: "Create a conversation",
    description: "With up to 20 initial `items` and `metadata`; stored like responses.",
    body: Conversations.CreateConversationRequest,
    ok: { json: Conversation }
  },
  {
    method: "GET",
    path: `/v1/conversations/${idParam}`,
    summary: "Retrieve a conversation",
    ok: { json: Conversation }
  },
  {
    method: "POST",
    path: `/v1/conversations/${idParam}`,
    summary: "Update a conversation's metadata",
    body: Conversations.UpdateConversationRequest,
    ok: { json: Conversation }
  },
  {
    method: "DELETE",
    path: `/v1/conversations/${idParam}`,
    summary: "Delete a conversation and its items",
    ok: { json: ConversationDeleted }
  },
  {
    method: "GET",
    path: `/v1/conversations/${idParam}/items`,
    summary: "List a conversation's items",
    query: [after, limit, order, { name: "include", description: "Accepted; adds nothing.", schema: Schema.String }],
    ok: { json: InputItemList }
  },
  {
    method: "POST",
    path: `/v1/conversations/${idParam}/items`,
    summary: "Append items to a conversation",
    body: Conversations.CreateItemsRequest,
    ok: { json: InputItemList }
  },
  {
    method: "GET",
    path: `/v1/conversations/${idParam}/items/{item_id}`,
    summary: "Retrieve a conversation item",
    ok: { json: ListedItem }
  },
  {
    method: "DELETE",
    path: `/v1/conversations/${idParam}/items/{item_id}`,
    summary: "Delete a conversation item",
    description: "Answers the conversation.",
    ok: { json: Conversation }
  },
  {
    method: "POST",
    path: "/v1/chat/completions",
    summary: "Create a chat completion",
    description:
      "Passed unchanged to an upstream server; on the embedded engine, decoded and answered as Chat Completions.",
    body: ChatCompletions.ChatCompletionRequest,
    ok: { json: ChatCompletions.ChatCompletion, events: ChatCompletions.ChatCompletionChunk }
  },
  {
    method: "GET",
    path: "/v1/models",
    summary: "List models",
    description: "OpenAI's `data[]` and Codex's model catalog `models[]` in one body.",
    query: [{ name: "client_version", description: "Codex's version (ignored).", schema: Schema.String }],
    ok: { json: Catalog }
  },
  {
    method: "GET",
    path: "/health",
    summary: "Health",
    description: "Public. Without the key only `status`; with it also the backend and its load.",
    ok: { json: Health }
  },
  {
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics",
    description: "Behind the key unless the server runs with `--metrics-public`.",
    ok: { text: { contentType: "text/plain; version=0.0.4", description: "Prometheus text exposition" } }
  },
  {
    method: "GET",
    path: "/openapi.json",
    summary: "This document",
    description: "The OpenAPI 3.1 description of every route, generated from the schemas the server decodes with.",
    ok: { json: Schema.Record(Schema.String, Schema.Unknown) }
  }
]

/** A table path in the router's form (`{id}` → `:id`). */
export const routerPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ":$1")
