/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of every route (internal/http/apiRoutes.ts), its schemas compiled
 * from the Effect Schemas themselves (as effect's `http-api/OpenApi` does: one representation of all the roots,
 * one pool of named definitions under `components.schemas`), so the document cannot drift from what is decoded.
 */
import { OpenAiError } from "@parlance/schema"
import * as JsonSchema from "effect/JsonSchema"
import type * as Schema from "effect/Schema"
import * as SchemaRepresentation from "effect/SchemaRepresentation"
import { type ApiRoute, apiRoutes } from "./apiRoutes.js"

const errorStatuses: ReadonlyArray<readonly [string, string]> = [
  ["400", "Invalid request: `param` names the offending field."],
  ["401", "The API key is missing or wrong."],
  ["404", "Not found."],
  ["413", "The body is too large."],
  ["429", "The backend is busy."],
  ["500", "Internal error."],
  ["502", "The upstream failed."],
  ["503", "Shutting down, or the store or backend is unavailable."]
]

/** Every schema the table names, compiled together: `$ref`s into one shared `components.schemas`. */
const compile = (schemas: ReadonlyArray<Schema.Top>) => {
  const [first, ...rest] = schemas.map((s) => s.ast)
  const representations = SchemaRepresentation.toRepresentations([first!, ...rest])
  return JsonSchema.toMultiDocumentOpenApi3_1(SchemaRepresentation.toJsonSchemaMultiDocument(representations))
}

export interface OpenApiOptions {
  readonly version: string
  /** Whether an API key is configured (the document says so; with none, every route is open). */
  readonly keyed: boolean
  /** Routes that answer without the key. */
  readonly publicPaths: ReadonlySet<string>
}

export const openApiDocument = (options: OpenApiOptions): Record<string, unknown> => {
  const roots: Array<Schema.Top> = [OpenAiError.ErrorBody]
  const at = (schema: Schema.Top): number => {
    const known = roots.indexOf(schema)
    return known >= 0 ? known : roots.push(schema) - 1
  }
  // Indexes first (every schema once), then one compilation for all of them.
  const plan = apiRoutes.map((route) => ({
    route,
    body: route.body && at(route.body),
    json: route.ok.json && at(route.ok.json),
    events: route.ok.events && at(route.ok.events),
    query: (route.query ?? []).map((q) => ({ q, schema: at(q.schema) }))
  }))
  const compiled = compile(roots)
  const schema = (index: number) => compiled.schemas[index]!
  const errorResponse = { content: { "application/json": { schema: schema(0) } } }

  const paths: Record<string, Record<string, unknown>> = {}
  for (const { route, body, json, events, query } of plan) {
    const content: Record<string, unknown> = {}
    if (json !== undefined) content["application/json"] = { schema: schema(json) }
    // The events' schema: each `data:` line of the stream is one of them.
    if (events !== undefined) content["text/event-stream"] = { schema: schema(events) }
    if (route.ok.text) content[route.ok.text.contentType] = { schema: { type: "string" } }
    const parameters = [
      ...[...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" }
      })),
      ...query.map(({ q, schema: index }) => ({
        name: q.name,
        in: "query",
        required: false,
        description: q.description,
        schema: schema(index)
      }))
    ]
    const operation = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description !== undefined ? { description: route.description } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(body !== undefined
        ? { requestBody: { required: true, content: { "application/json": { schema: schema(body) } } } }
        : {}),
      ...(options.publicPaths.has(route.path) ? { security: [] } : {}),
      responses: {
        [route.ok.upgrade !== undefined ? "101" : "200"]: {
          description:
            route.ok.upgrade ??
            route.ok.text?.description ??
            (events !== undefined
              ? "JSON, or with `stream: true` server-sent events (one event per `data:` line)"
              : "OK"),
          ...(Object.keys(content).length > 0 ? { content } : {})
        },
        ...Object.fromEntries(errorStatuses.map(([status, description]) => [status, { description, ...errorResponse }]))
      }
    }
    ;(paths[route.path] ??= {})[route.method.toLowerCase()] = operation
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Parlance",
      version: options.version,
      description:
        "OpenAI's Responses API (and Chat Completions) in front of a local model. Errors are OpenAI's error body."
    },
    paths,
    components: {
      schemas: compiled.definitions,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "`Authorization: Bearer <key>`" },
        apiKey: { type: "apiKey", in: "header", name: "api-key", description: "Azure style: `api-key: <key>`" }
      }
    },
    // Deny by default: every route needs the key unless it says otherwise (`security: []`).
    ...(options.keyed ? { security: [{ bearer: [] }, { apiKey: [] }] } : {})
  }
}

/** `POST /v1/responses/{id}/cancel` → `postV1ResponsesIdCancel`. */
const operationId = (route: ApiRoute): string =>
  route.method.toLowerCase() +
  route.path
    .split(/[/_.{}]+/)
    .filter((part) => part !== "")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("")
