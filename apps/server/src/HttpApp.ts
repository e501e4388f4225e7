/**
 * The HTTP application: routes (docs/architecture.md#routes), API-key auth on the matched route (deny by default: see
 * internal/http/auth.ts), metrics, CORS, and the rule that every failure leaves as an OpenAI error body — never a
 * stack trace, never an empty 500.
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Scope from "effect/Scope"
import { readFileSync } from "node:fs"
import * as ApiError from "./ApiError.js"
import * as Auth from "./internal/http/auth.js"
import * as Conversations from "./internal/http/conversationRoutes.js"
import { compactResponse } from "./internal/generation/compaction.js"
import { apiRoutes } from "./internal/http/apiRoutes.js"
import { openApiDocument } from "./internal/http/openApi.js"
import { countInputTokens } from "./internal/http/inputTokens.js"
import * as Routes from "./internal/http/routes.js"
import { type Requirements, services } from "./internal/http/services.js"
import { responsesSocket } from "./internal/websocket/route.js"

/**
 * The metrics' route label of a path: the route table's path it matches (`/v1/responses/{id}`), literal segments
 * before parameters (`/v1/responses/compact` is not an id), or "other". Derived from the table, so a new route
 * is labelled with no second list to keep.
 */
const labels = [...new Set(apiRoutes.map((r) => r.path))]
  .map((path) => ({
    path,
    params: (path.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`)
  }))
  .sort((a, b) => a.params - b.params)
const routeLabel = (path: string): string => labels.find((l) => l.pattern.test(path))?.path ?? "other"

/** A request line's path as written, without its query: the common case needs no URL parser. */
const plainPath = /^\/[A-Za-z0-9_/-]*(?:\?.*)?$/

/** The path for labels and messages; never throws, whatever the request line held. */
const pathOf = (url: string): string => {
  if (plainPath.test(url)) {
    const query = url.indexOf("?")
    return (query < 0 ? url : url.slice(0, query)).slice(0, 200)
  }
  try {
    return new URL(url, "http://x").pathname.slice(0, 200)
  } catch {
    return "(unparsable)"
  }
}

const packageVersion: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version

/** The app: answers every request (never fails), on the request's fiber. @category models */
export type App = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | Scope.Scope
>

/**
 * The app, built from the services it runs on (Backend, ResponseStore, Metrics, Generations, Recorder,
 * ServerConfig); the router lives as long as the scope.
 * @category constructors
 */
export const make: Effect.Effect<App, never, Requirements | Scope.Scope> = Effect.gen(function* () {
  const options = yield* services
  const { config, metrics, generations } = options
  const draining = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | ApiError.ApiError, R> =>
    Effect.suspend(
      (): Effect.Effect<A, E | ApiError.ApiError, R> =>
        generations.isDraining()
          ? Effect.fail(ApiError.unavailable("The server is shutting down.", "server_shutting_down"))
          : effect
    )

  const backendLoad = options.backend.load ?? Effect.succeed(undefined)
  // Built on first request, once: it depends only on the route table and the key's presence.
  let openApi: Record<string, unknown> | undefined
  const describe = () =>
    openApiDocument({
      version: packageVersion,
      keyed: config.apiKey !== undefined,
      publicPaths: Auth.publicRoutes({ metricsPublic: config.metricsPublic })
    })
  const auth = Auth.make({ apiKey: config.apiKey, metricsPublic: config.metricsPublic })
  // Deny by default: every route is declared through this, so it needs the key unless Auth.publicRoutes names it.
  const route = <E, R>(
    method: "GET" | "POST" | "DELETE",
    path: HttpRouter.PathInput,
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) => HttpRouter.route(method, path, auth.guard(handler))

  const router = yield* HttpRouter.toHttpEffect(
    HttpRouter.addAll([
      route("POST", "/v1/responses", draining(Routes.createResponse(options))),
      route("GET", "/v1/responses", draining(responsesSocket(options))),
      route("POST", "/v1/responses/compact", draining(compactResponse(options))),
      route("POST", "/v1/responses/input_tokens", countInputTokens(options)),
      route("GET", "/v1/responses/:id", Routes.getResponse(options)),
      route("DELETE", "/v1/responses/:id", Routes.deleteResponse(options)),
      route("POST", "/v1/responses/:id/cancel", Routes.cancelResponse(options)),
      route("GET", "/v1/responses/:id/input_items", Routes.listInputItems(options)),
      route("POST", "/v1/conversations", Conversations.createConversation(options)),
      route("GET", "/v1/conversations/:id", Conversations.getConversation(options)),
      route("POST", "/v1/conversations/:id", Conversations.updateConversation(options)),
      route("DELETE", "/v1/conversations/:id", Conversations.deleteConversation(options)),
      route("GET", "/v1/conversations/:id/items", Conversations.listItems(options)),
      route("POST", "/v1/conversations/:id/items", Conversations.createItems(options)),
      route("GET", "/v1/conversations/:id/items/:item_id", Conversations.getItem(options)),
      route("DELETE", "/v1/conversations/:id/items/:item_id", Conversations.deleteItem(options)),
      route("POST", "/v1/chat/completions", draining(Routes.chatCompletions(options))),
      route("GET", "/v1/models", Routes.listModels(options)),
      route(
        "GET",
        "/health",
        Effect.gen(function* () {
          const status = generations.isDraining() ? "draining" : "ok"
          // Public, so without the key it says no more than the status.
          const request = yield* HttpServerRequest.HttpServerRequest
          if (!auth.hasKey(request.headers)) return HttpServerResponse.jsonUnsafe({ status })
          const load = yield* backendLoad
          const health = options.backend.health === undefined ? undefined : yield* options.backend.health
          return HttpServerResponse.jsonUnsafe({
            status,
            backend: options.backend.kind,
            ...(health !== undefined ? { [options.backend.kind]: health } : {}),
            active_streams: metrics.activeStreams(),
            ...(load !== undefined ? { load } : {})
          })
        })
      ),
      // Behind the key like every route (deny by default): the document lists the routes, which an unknown path
      // answering 401 keeps from being enumerated without the key.
      route(
        "GET",
        "/openapi.json",
        Effect.sync(() => HttpServerResponse.jsonUnsafe((openApi ??= describe())))
      ),
      route(
        "GET",
        "/metrics",
        Effect.map(backendLoad, (load) =>
          HttpServerResponse.text(metrics.render(load) + (options.backend.metrics?.() ?? ""), {
            contentType: "text/plain; version=0.0.4"
          })
        )
      )
    ])
  )

  /** No route matched: without the key, an unknown path answers like a private one (no route enumeration). */
  const unknownRoute = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
    ApiError.toResponse(
      auth.hasKey(request.headers)
        ? ApiError.notFound(`Unknown route: ${request.method} ${pathOf(request.url)}`, null, "unknown_route")
        : ApiError.unauthorized()
    )
  )

  const answered = Effect.catchTag(
    router,
    ["HttpServerError", "ApiError"],
    (error): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest> =>
      error._tag === "ApiError"
        ? Effect.succeed(ApiError.toResponse(error))
        : error.reason._tag === "RouteNotFound"
          ? unknownRoute
          : Effect.fail(error)
  )
  const handled: App = Effect.catchCause(answered, (cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.as(Effect.logError("unhandled failure", cause), ApiError.toResponse(ApiError.internal()))
  )

  const counted: App = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.map(handled, (response) => {
      metrics.request(routeLabel(pathOf(request.url)), response.status)
      return response
    })
  )

  if (config.cors === undefined) return counted
  return HttpMiddleware.cors({
    allowedOrigins: config.cors.includes("*") ? undefined : config.cors,
    allowedHeaders: [
      "authorization",
      "content-type",
      "api-key",
      "openai-beta",
      "openresponses-version",
      "x-stainless-*"
    ],
    maxAge: 600
  })(counted)
})
