/**
 * API-key auth, deny by default (docs/architecture.md#authentication), decided on the route the router actually
 * matched — never on a string prefix of the raw URL, which the router normalises differently (it ignores
 * duplicate slashes, case, a trailing slash, `;` parameters and decodes percent-escapes). Every route needs
 * the key except the explicit public set, so a route added later is private without anyone remembering to
 * protect it.
 */
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import { createHash, timingSafeEqual } from "node:crypto"
import * as ApiError from "../../ApiError.js"

export interface AuthOptions {
  /** Undefined: no key configured, every route is open. */
  readonly apiKey: string | undefined
  /** `--metrics-public`: `/metrics` answers without the key. */
  readonly metricsPublic: boolean
}

/** The routes (as declared in the router) that answer without the key. */
export const publicRoutes = (options: Pick<AuthOptions, "metricsPublic">): ReadonlySet<string> =>
  new Set(options.metricsPublic ? ["/health", "/metrics"] : ["/health"])

const digest = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest()

/** The key a client presented: `Authorization: Bearer <key>` (OpenAI) or `api-key: <key>` (Azure style). */
export const presentedKey = (headers: Readonly<Record<string, string | undefined>>): string | undefined => {
  const header = headers.authorization
  if (header !== undefined && /^bearer /i.test(header)) return header.slice(7).trim()
  return headers["api-key"]
}

export interface Auth {
  /** True when the request carries the configured key (or no key is configured). */
  readonly hasKey: (headers: Readonly<Record<string, string | undefined>>) => boolean
  /** Wraps a route's handler: rejects with 401 unless the matched route is public or the key is right. */
  readonly guard: <E, R>(
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) => Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E | ApiError.ApiError,
    R | HttpRouter.RouteContext | HttpServerRequest.HttpServerRequest
  >
}

export const make = (options: AuthOptions): Auth => {
  const open = publicRoutes(options)
  // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no timing signal about the key's length.
  const expected = options.apiKey === undefined ? undefined : digest(options.apiKey)
  const hasKey = (headers: Readonly<Record<string, string | undefined>>): boolean => {
    if (expected === undefined) return true
    const key = presentedKey(headers)
    return key !== undefined && timingSafeEqual(digest(key), expected)
  }
  const guard: Auth["guard"] = <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.flatMap(HttpRouter.RouteContext, (context) =>
      open.has(context.route.path)
        ? handler
        : Effect.flatMap(
            HttpServerRequest.HttpServerRequest,
            (request): Effect.Effect<HttpServerResponse.HttpServerResponse, E | ApiError.ApiError, R> =>
              hasKey(request.headers) ? handler : Effect.fail(ApiError.unauthorized())
          )
    )
  return { hasKey, guard }
}
