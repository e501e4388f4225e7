/**
 * Validates Response objects and streaming events against the JSON Schemas of the Open Responses OpenAPI
 * document (vendored in `spec/`, version 2026-04-24), with ajv's JSON Schema 2020-12 build — the schemas the
 * Open Responses compliance suite checks. Test tooling: never imported by runtime code.
 * @since 0.1.0
 */
import Ajv2020Module from "ajv/dist/2020.js"
import type { ErrorObject, ValidateFunction } from "ajv"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { extensionEvents, extensionSchemas, openAiAliases } from "./extensions.js"

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema document, walked by key at run time
type JsonSchema = Record<string, any>

/** The vendored OpenAPI document, as published. @category constants */
export const specPath: string = join(import.meta.dirname, "../spec/openresponses-openapi.json")

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/**
 * The document with two kinds of change, each said here: one defect fixed, and the `openai` SDK's extensions
 * (extensions.ts) added beside the spec's own alternatives — nothing the spec requires is relaxed.
 */
const patched = (spec: JsonSchema): JsonSchema => {
  const doc = structuredClone(spec)
  const s = doc.components.schemas
  // Defect: `JsonSchemaResponseFormat.schema` is `{"type":"null"}`, so no echoed `text.format` json_schema could
  // ever pass; the request side (`JsonSchemaResponseFormatParam`) and the SDK make it a JSON Schema object.
  s.JsonSchemaResponseFormat.properties.schema = { type: "object" }
  Object.assign(s, extensionSchemas)
  s.ItemField = { oneOf: [...s.ItemField.oneOf, ref("x-CustomToolCall")] }
  s.Tool = { anyOf: [ref("FunctionTool"), ref("x-CustomTool"), ref("x-NamespaceTool"), ref("x-BuiltinTool")] }
  const toolChoice = s.ResponseResource.properties.tool_choice
  toolChoice.oneOf = [...toolChoice.oneOf, ref("x-CustomToolChoice"), ref("x-BuiltinToolChoice")]
  return doc
}

const Ajv2020 = Ajv2020Module.default

const build = () => {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as JsonSchema
  // strict: false — the document carries OpenAPI keywords (`example`, `discriminator`, `x-…`) that are not JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema(patched(spec), "openresponses")
  const compile = (name: string): ValidateFunction => ajv.getSchema(`openresponses#/components/schemas/${name}`)!
  const events = new Map<string, ValidateFunction>()
  const streamed = spec.paths["/responses"].post.responses["200"].content["text/event-stream"].schema.oneOf as Array<{
    $ref: string
  }>
  for (const { $ref } of streamed) {
    const name = $ref.split("/").pop()!
    events.set(spec.components.schemas[name].properties.type.enum[0], compile(name))
  }
  const specTypes = new Set(events.keys())
  for (const [type, schema] of Object.entries(extensionEvents)) events.set(type, ajv.compile(schema))
  return {
    response: compile("ResponseResource"),
    events,
    webSocketError: compile("WebSocketErrorEvent"),
    webSocketCreate: compile("WebSocketResponseCreateEvent"),
    spec: specTypes
  }
}

let compiled: ReturnType<typeof build> | undefined
const validators = () => (compiled ??= build())

const describe = (errors: ReadonlyArray<ErrorObject> | null | undefined): Array<string> =>
  (errors ?? [])
    .slice(0, 12)
    .map(
      (e) =>
        `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "missingProperty" in e.params ? "" : ` ${JSON.stringify(e.params)}`}`
    )

/** Problems of a Response object (`[]` when it conforms). @category validation */
export const validateResponse = (value: unknown): Array<string> => {
  const validate = validators().response
  return validate(value) ? [] : describe(validate.errors)
}

/**
 * Which names a stream may use (docs/architecture.md#dialects): `either` (default) accepts the spec's events
 * and the openai SDK's; `openresponses` refuses OpenAI's name for an event the spec names otherwise
 * (`response.reasoning_text.delta` where the spec says `response.reasoning.delta`), and still accepts the SDK's
 * extensions the spec has no event for (custom tool input, compaction progress).
 * @category models
 */
export interface EventOptions {
  readonly dialect?: "either" | "openresponses"
}

const specNameOf: Record<string, string> = Object.fromEntries(
  Object.entries(openAiAliases).map(([spec, openai]) => [openai, spec])
)

/** Whether the spec's own document defines this event type (the compliance suite accepts only these). @category validation */
export const isSpecEvent = (type: string): boolean => validators().spec.has(type)

/** Problems of one streaming event; an event type the spec and the SDK do not define is one. @category validation */
export const validateEvent = (value: unknown, options: EventOptions = {}): Array<string> => {
  const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined
  if (options.dialect === "openresponses" && typeof type === "string" && specNameOf[type] !== undefined)
    return [`event type ${type} is OpenAI's name: the Open Responses spec names it ${specNameOf[type]}`]
  const validate = typeof type === "string" ? validators().events.get(type) : undefined
  if (validate === undefined) return [`event type ${JSON.stringify(type)} is not defined by the spec or the openai SDK`]
  return validate(value) ? [] : describe(validate.errors).map((p) => `${type}: ${p}`)
}

/** Problems of every event of a stream, each prefixed with its index. @category validation */
export const validateEvents = (events: ReadonlyArray<unknown>, options: EventOptions = {}): Array<string> =>
  events.flatMap((event, i) => validateEvent(event, options).map((p) => `event ${i} ${p}`))

/**
 * Problems of one WebSocket-mode server event: a streaming event as over SSE, or the spec's WebSocketErrorEvent
 * (what the compliance suite accepts on that transport). @category validation
 */
export const validateWebSocketEvent = (value: unknown): Array<string> => {
  const asStreamed = validateEvent(value)
  if (asStreamed.length === 0) return []
  const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined
  if (type !== "error") return asStreamed
  const validate = validators().webSocketError
  return validate(value) ? [] : describe(validate.errors).map((p) => `error (WebSocketErrorEvent): ${p}`)
}

/** Problems of a WebSocket `response.create` client event (the spec's WebSocketResponseCreateEvent). @category validation */
export const validateWebSocketCreate = (value: unknown): Array<string> => {
  const validate = validators().webSocketCreate
  return validate(value) ? [] : describe(validate.errors)
}
