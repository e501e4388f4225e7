/** The route handlers. Each returns an HttpServerResponse or fails with an ApiError (rendered at the edge). */
import { ChatCompletions } from "@parlance/schema"
import { ChatAggregate } from "@parlance/translate"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { Readable } from "node:stream"
import * as ApiError from "../../ApiError.js"
import { isRunning, type ResponseStoreService, type StoredResponse } from "../../ResponseStore.js"
import * as Background from "../generation/background.js"
import * as Replay from "../generation/replay.js"
import { readJsonObject } from "./body.js"
import * as Generation from "../generation/generation.js"
import { catalog } from "./catalog.js"
import { dialectOf, inDialect } from "./dialect.js"
import * as ChatCompletion from "../generation/chatCompletion.js"
import { autoCompact } from "../generation/compaction.js"
import * as Completion from "../generation/completion.js"
import { asked } from "../generation/completion.js"
import * as Traces from "../generation/traces.js"
import { paginate } from "../inputs/inputItems.js"
import { prepareWith } from "../inputs/prepare.js"
import type { Services } from "./services.js"

const sseHeaders = { "cache-control": "no-cache", "x-accel-buffering": "no" }
/** A Node stream piped to the socket as it is read (the platform's `Raw` body: no Effect stream per batch). */
const piped = (body: Readable, options: { readonly status?: number; readonly contentType: string }) =>
  HttpServerResponse.raw(body, { ...options, headers: sseHeaders })

/** Names the backend that served, when a router chose among several. */
const servedHeader =
  (servedBy: string | undefined) =>
  (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
    servedBy === undefined ? response : HttpServerResponse.setHeader(response, "x-parlance-backend", servedBy)

const storeDown = () => ApiError.unavailable("The response store is unavailable.", "store_unavailable")

const responseId = Effect.map(HttpRouter.params, (p) => p.id ?? "")

const load = (store: ResponseStoreService, id: string) =>
  store.get(id).pipe(
    Effect.mapError(storeDown),
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.fail(ApiError.notFound(`Response with id '${id}' not found.`, "response_id")),
        onSome: Effect.succeed
      })
    )
  )

export const createResponse = (deps: Services) =>
  Effect.gen(function* () {
    const { body } = yield* readJsonObject({ maxBytes: deps.config.bodyLimit, maxDepth: deps.config.maxJsonDepth })
    const prepared = yield* autoCompact(deps, body, yield* prepareWith(deps, body))
    // A shared database known to be down: refused now, not streamed and then failed (no round trip to know).
    if (prepared.request.store !== false && !deps.store.available()) return yield* Effect.fail(storeDown())
    if (prepared.request.background === true) {
      const started = yield* Background.start(deps, prepared)
      if (prepared.request.stream !== true) return HttpServerResponse.jsonUnsafe(started.response)
      const { headers } = yield* HttpServerRequest.HttpServerRequest
      return piped(inDialect(started.stream(), dialectOf(headers, deps.config.dialect)), {
        contentType: "text/event-stream"
      })
    }
    const generation = yield* Generation.start(deps, prepared)
    const served = servedHeader(generation.servedBy)
    // One write per batch of events: a burst from the upstream leaves as one TCP write, not hundreds.
    if (prepared.request.stream === true) {
      const { headers } = yield* HttpServerRequest.HttpServerRequest
      return served(
        piped(generation.sse(dialectOf(headers, deps.config.dialect)), { contentType: "text/event-stream" })
      )
    }
    const response = yield* generation.response
    return response === undefined
      ? yield* Effect.fail(ApiError.internal())
      : served(HttpServerResponse.jsonUnsafe(response))
  })

export const getResponse = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* responseId
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = new URL(request.url, "http://x").searchParams
    const record = yield* load(deps.store, id)
    if (query.get("stream") !== "true") return HttpServerResponse.jsonUnsafe(record.response)
    // As OpenAI: only a background response's stream is kept, to be streamed again.
    if (record.response.background !== true) {
      return yield* Effect.fail(
        ApiError.badRequest(
          `Response '${id}' was not created with background: true; only a background response can be streamed again.`,
          "stream",
          "unsupported_parameter"
        )
      )
    }
    const after = startingAfter(query.get("starting_after"))
    if (after === undefined)
      return yield* Effect.fail(
        ApiError.badRequest("starting_after must be a whole number (a sequence number).", "starting_after")
      )
    const log = deps.generations.get(id)?.log
    const body = log !== undefined ? Replay.fromLog(log, after) : Replay.fromStore(deps.store, deps.context, id, after)
    return piped(inDialect(body, dialectOf(request.headers, deps.config.dialect)), { contentType: "text/event-stream" })
  })

/** `starting_after`: absent → -1 (from the first event); a whole number ≥ -1; anything else undefined. */
const startingAfter = (raw: string | null): number | undefined => {
  if (raw === null || raw === "") return -1
  const n = Number(raw)
  return /^-?\d+$/.test(raw) && Number.isSafeInteger(n) && n >= -1 ? n : undefined
}

export const deleteResponse = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* responseId
    const deleted = yield* deps.store.delete(id).pipe(Effect.mapError(storeDown))
    if (!deleted) return yield* Effect.fail(ApiError.notFound(`Response with id '${id}' not found.`, "response_id"))
    return HttpServerResponse.jsonUnsafe({ id, object: "response", deleted: true })
  })

/** Stops an in-flight response (here, or on another replica through the store) and returns it. */
export const cancelResponse = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* responseId
    const local = deps.generations.get(id)
    // A chat completion is registered too (for the drain), but it is no response: it has no `finished`.
    if (local?.finished !== undefined) {
      // Running here: stop it and answer with its final state (stored or not).
      yield* local.stop
      const final = yield* Deferred.await(local.finished).pipe(Effect.timeoutOption("10 seconds"))
      return HttpServerResponse.jsonUnsafe(Option.isSome(final) ? final.value : (yield* load(deps.store, id)).response)
    }
    // Running elsewhere (another replica sharing the store), or not running at all: then, as OpenAI, a 400
    // naming why — never a 200 that pretends something was stopped.
    const record = yield* load(deps.store, id)
    // Cancelling twice is idempotent, as on OpenAI: the cancelled response again.
    if (record.response.status === "cancelled") return HttpServerResponse.jsonUnsafe(record.response)
    if (!isRunning(record.response.status)) {
      return yield* Effect.fail(
        ApiError.badRequest(
          `Cannot cancel response '${id}': its status is '${record.response.status}', and only a response in progress can be cancelled.`,
          null,
          "response_not_cancellable"
        )
      )
    }
    yield* deps.store.requestCancel(id).pipe(Effect.mapError(storeDown))
    // Wait (bounded: 5 s) until the owning replica has stored its terminal state. A shared store has no
    // notifications, so this reads it again every 50 ms.
    const settled = yield* deps.store.get(id).pipe(
      Effect.mapError(storeDown),
      Effect.repeat({
        schedule: Schedule.spaced("50 millis").pipe(Schedule.upTo({ duration: "5 seconds" })),
        while: (now: Option.Option<StoredResponse>) => Option.isNone(now) || isRunning(now.value.response.status)
      })
    )
    return HttpServerResponse.jsonUnsafe(
      Option.isSome(settled) ? settled.value.response : (yield* load(deps.store, id)).response
    )
  })

export const listInputItems = (deps: Services) =>
  Effect.gen(function* () {
    const id = yield* responseId
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = Object.fromEntries(new URL(request.url, "http://x").searchParams)
    const record = yield* load(deps.store, id)
    const page = paginate(record.input, query)
    return page instanceof ApiError.ApiError ? yield* Effect.fail(page) : HttpServerResponse.jsonUnsafe(page)
  })

export const listModels = (deps: Services) =>
  deps.backend.models.pipe(
    Effect.mapError(ApiError.fromBackend),
    Effect.map((models) => HttpServerResponse.jsonUnsafe(catalog(models, deps.backend.kind)))
  )

const decodeChat = Schema.decodeUnknownResult(ChatCompletions.ChatCompletionRequest, { reportInput: true })

/**
 * `/v1/chat/completions`: unchanged to an upstream that forwards raw (`passthrough`); else decoded and asked
 * through the same `openCompletion` as `/v1/responses`. Either way registered and counted while it runs.
 */
export const chatCompletions = (deps: Services) =>
  Effect.gen(function* () {
    const { text, body } = yield* readJsonObject({
      maxBytes: deps.config.bodyLimit,
      maxDepth: deps.config.maxJsonDepth
    })
    if (deps.backend.passthrough !== undefined) {
      // Forwarded raw, so traced without reading it: the span ends with the body (no tokens: none are parsed).
      const id = chatId(deps)
      const span = deps.config.tracing
        ? yield* Traces.chatSpan(typeof body.model === "string" ? body.model : "", id, {
            stream: body.stream === true
          })
        : undefined
      const forwarding = deps.backend.passthrough("/chat/completions", text)
      const raw = yield* (span === undefined ? forwarding : Traces.opening(span, forwarding, deps.now)).pipe(
        Effect.mapError(ApiError.fromBackend)
      )
      if (span !== undefined) {
        span.attribute("http.response.status_code", raw.status)
        if (raw.status >= 400) span.attribute("error.type", String(raw.status))
        raw.body.once("close", () => Traces.close(span, deps.now()))
      }
      // The drain waits for the body to be piped; past its grace period it is cut (which aborts the upstream).
      const tracked = Completion.track(deps, id, () => raw.body.destroy())
      raw.body.once("close", tracked.close)
      return piped(raw.body, { status: raw.status, contentType: raw.contentType })
    }
    const decoded = decodeChat(body)
    if (Result.isFailure(decoded)) return yield* Effect.fail(ApiError.fromParse(decoded.failure))
    const request = decoded.success
    if ((request.n ?? 1) > 1)
      return yield* Effect.fail(ApiError.badRequest("n > 1 is not supported.", "n", "unsupported_parameter"))
    const streaming = request.stream === true
    const id = chatId(deps)
    const startedAt = deps.now()
    // Traced as a response is (traces.ts): `chat <model>`, the backend's attempts under it, ended with the tokens.
    const span = deps.config.tracing
      ? yield* Traces.chatSpan(request.model, id, {
          stream: request.stream,
          max_tokens: asked(deps.config, request).max_tokens
        })
      : undefined
    const opening = Completion.openCompletion(deps, request, { streaming, startedAt })
    const completion = yield* (span === undefined ? opening : Traces.opening(span, opening, deps.now)).pipe(
      Effect.mapError((error) => ApiError.fromBackend(error))
    )
    if (span !== undefined) Traces.opened(span, (deps.now() - startedAt) / 1000, completion.source.servedBy)
    const onEnd =
      span === undefined ? undefined : (outcome: Traces.ChatOutcome) => Traces.endedChat(span, outcome, deps.now())
    const served = servedHeader(completion.source.servedBy)
    if (streaming) {
      const wantUsage = request.stream_options?.include_usage === true
      return served(
        piped(ChatCompletion.stream(completion, id, wantUsage, onEnd), { contentType: "text/event-stream" })
      )
    }
    const chunks = yield* ChatCompletion.collect(completion, id, onEnd).pipe(Effect.mapError(ApiError.fromBackend))
    return served(
      HttpServerResponse.jsonUnsafe(
        ChatAggregate.aggregate(chunks, { id, created: Math.floor(deps.now() / 1000), model: request.model })
      )
    )
  })

/** A chat completion's id (the registry's key, and the aggregate's id when the backend's chunks carry none). */
const chatId = (deps: Services) => `chatcmpl-${deps.config.ids("resp").slice(5)}`
