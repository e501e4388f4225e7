/**
 * The HTTP application: routes (DESIGN §5), API-key auth on the matched route (deny by default: see
 * internal/auth.ts), metrics, CORS, and the rule that every failure leaves as an OpenAI error body — never a
 * stack trace, never an empty 500.
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as ApiError from "./ApiError.js"
import * as Auth from "./internal/auth.js"
import { compactResponse } from "./internal/compaction.js"
import * as Routes from "./internal/routes.js"
import { type Requirements, services } from "./internal/services.js"

const routeLabel = (path: string): string =>
  !path.startsWith("/v1/responses/")
    ? path
    : path
        .replace(/\/v1\/responses\/[^/]+\/(cancel|input_items)$/, "/v1/responses/{id}/$1")
        .replace(/\/v1\/responses\/(?!compact$)[^/]+$/, "/v1/responses/{id}")

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

const known = new Set(["/v1/responses", "/v1/responses/compact", "/v1/responses/{id}", "/v1/responses/{id}/cancel", "/v1/responses/{id}/input_items", "/v1/chat/completions", "/v1/models", "/health", "/metrics"])

/** The app, built from the services it runs on (Backend, ResponseStore, Metrics, Generations, Recorder, ServerConfig). @category constructors */
export const make: Effect.Effect<HttpApp.Default, never, Requirements> = Effect.map(services, (options) => {
  const { config, metrics, generations } = options
  const draining = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | ApiError.ApiError, R> =>
    Effect.suspend((): Effect.Effect<A, E | ApiError.ApiError, R> =>
      generations.isDraining() ? Effect.fail(ApiError.unavailable("The server is shutting down.", "server_shutting_down")) : effect
    )

  const backendLoad = options.backend.load ?? Effect.succeed(undefined)
  const auth = Auth.make({ apiKey: config.apiKey, metricsPublic: config.metricsPublic })

  const routes = HttpRouter.empty.pipe(
    HttpRouter.post("/v1/responses", draining(Routes.createResponse(options))),
    HttpRouter.post("/v1/responses/compact", draining(compactResponse(options))),
    HttpRouter.get("/v1/responses/:id", Routes.getResponse(options)),
    HttpRouter.del("/v1/responses/:id", Routes.deleteResponse(options)),
    HttpRouter.post("/v1/responses/:id/cancel", Routes.cancelResponse(options)),
    HttpRouter.get("/v1/responses/:id/input_items", Routes.listInputItems(options)),
    HttpRouter.post("/v1/chat/completions", draining(Routes.chatCompletions(options))),
    HttpRouter.get("/v1/models", Routes.listModels(options)),
    HttpRouter.get(
      "/health",
      Effect.gen(function* () {
        const status = generations.isDraining() ? "draining" : "ok"
        // Public, so without the key it says no more than the status.
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!auth.hasKey(request.headers)) return HttpServerResponse.unsafeJson({ status })
        const load = yield* backendLoad
        return HttpServerResponse.unsafeJson({
          status,
          backend: options.backend.kind,
          active_streams: metrics.activeStreams(),
          ...(load !== undefined ? { load } : {})
        })
      })
    ),
    HttpRouter.get(
      "/metrics",
      Effect.map(backendLoad, (load) => HttpServerResponse.text(metrics.render(load), { contentType: "text/plain; version=0.0.4" }))
    )
  )
  // Deny by default: every route above — and any added there later — needs the key unless Auth.publicRoutes names it.
  const router = HttpRouter.use(routes, auth.guard)

  const handled = router.pipe(
    Effect.catchTag("RouteNotFound", () =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        // Without the key, an unknown path answers like a private one: no route enumeration.
        if (!auth.hasKey(request.headers)) return yield* Effect.fail(ApiError.unauthorized())
        return yield* Effect.fail(ApiError.notFound(`Unknown route: ${request.method} ${pathOf(request.url)}`, null, "unknown_route"))
      })
    ),
    Effect.catchTag("ApiError", (error) => Effect.succeed(ApiError.toResponse(error))),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.as(Effect.logError("unhandled failure", cause), ApiError.toResponse(ApiError.internal()))
    )
  )

  const authorized = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.map(handled, (response) => {
      const label = routeLabel(pathOf(request.url))
      metrics.request(known.has(label) ? label : "other", response.status)
      return response
    })
  )

  const withCors = config.cors === undefined
    ? authorized
    : HttpMiddleware.cors({
        allowedOrigins: config.cors.includes("*") ? undefined : config.cors,
        allowedHeaders: ["authorization", "content-type", "api-key", "openai-beta", "x-stainless-*"],
        maxAge: 600
      })(authorized)
  return withCors
})
