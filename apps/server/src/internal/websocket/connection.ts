/**
 * One WebSocket connection of `/v1/responses` (docs/architecture.md#websocket-mode): its client events in,
 * its responses' events out, one JSON text frame per event. Responses run concurrently on distinct `stream_id`
 * lanes and in turn (FIFO) within one — the default lane being one more lane. Each response is prepared and
 * started exactly as over HTTP (`prepare`, `Generation.start`) and read with `Generation.events()`; its events
 * carry the lane's `stream_id` when the create set one. A failure is an `error` event on its lane only; the
 * socket and the other lanes go on. Plain code: Effect only where the server's services are called.
 */
import type { ResponseEvents, ResponseObject } from "@parlance/schema"
import { Dialect, Sequencer } from "@parlance/translate"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ApiError from "../../ApiError.js"
import * as Generation from "../generation/generation.js"
import type { Services } from "../http/services.js"
import { autoCompact } from "../generation/compaction.js"
import { prepareWith } from "../inputs/prepare.js"
import { type ClientEvent, errorEvent, parse } from "./clientEvents.js"
import { SessionCache } from "./sessionCache.js"

type Event = ResponseEvents.ResponseStreamEvent
type Create = Extract<ClientEvent, { readonly _tag: "Create" }>

/** Responses a socket may have queued or running at once; past it a create is refused (429). */
export const maxPendingPerSocket = 64

let turns = 0

export class Connection {
  private readonly lanes = new Map<string, Promise<void>>()
  private readonly readers = new Set<Generation.EventReader>()
  private readonly cache = new SessionCache()
  private readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<Exit.Exit<A, E>>
  private pending = 0
  private closed = false

  constructor(
    private readonly s: Services,
    /** Sends one text frame; a socket already gone ignores it. */
    private readonly send: (text: string) => void,
    /** The event names this socket's events carry (its handshake's `OpenResponses-Version`, else the server's). */
    private readonly dialect: Dialect.Dialect = "openai"
  ) {
    const runWith = Effect.runPromiseWith(s.context)
    this.run = (effect) => runWith(Effect.exit(effect))
  }

  /** One message from the client. */
  receive(data: string | Uint8Array): void {
    if (this.closed) return
    if (typeof data !== "string") {
      return this.error(ApiError.badRequest("Binary frames are not supported: send JSON text.", null, "invalid_json"))
    }
    const event = parse(data, this.s.config.maxJsonDepth)
    if (event._tag === "Invalid") return this.error(event.error, event.streamId)
    if (this.pending >= maxPendingPerSocket) {
      return this.error(
        new ApiError.ApiError({
          status: 429,
          body: {
            error: {
              message: `Too many responses pending on this socket (at most ${maxPendingPerSocket}).`,
              type: "rate_limit_error",
              param: null,
              code: "too_many_pending_responses"
            }
          }
        }),
        event.streamId
      )
    }
    this.pending++
    const lane = event.streamId ?? ""
    const previous = this.lanes.get(lane) ?? Promise.resolve()
    const next = previous
      .then(() => this.turn(event))
      .catch((cause) => this.error(ApiError.internal(), event.streamId, cause))
      .finally(() => {
        this.pending--
        if (this.lanes.get(lane) === next) this.lanes.delete(lane)
      })
    this.lanes.set(lane, next)
  }

  /** The client went away: every response still running ends as a client gone (stored so). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.readers].map((reader) => reader.abandon()))
  }

  private error(error: ApiError.ApiError, streamId?: string, cause?: unknown): void {
    if (cause !== undefined) Effect.runFork(Effect.logError("WebSocket response failed", cause))
    if (!this.closed) this.send(JSON.stringify(errorEvent(error, streamId)))
  }

  /** One response, start to terminal event; the drain waits for it (registered) until its last event is sent. */
  private async turn(create: Create): Promise<void> {
    if (this.closed) return
    const { generations } = this.s
    if (generations.isDraining()) {
      return this.error(ApiError.unavailable("The server is shutting down.", "server_shutting_down"), create.streamId)
    }
    const unregister = generations.add(`ws_turn_${++turns}`, { stop: Effect.void })
    const continues = create.body.previous_response_id
    try {
      const started = await this.run(
        Effect.flatMap(
          Effect.flatMap(prepareWith(this.s, create.body, { store: this.cache.overlay(this.s.store) }), (prepared) =>
            autoCompact(this.s, create.body, prepared)
          ),
          (prepared) =>
            Effect.map(Generation.start(this.s, prepared, { generate: create.generate }), (generation) => ({
              prepared,
              generation
            }))
        )
      )
      if (Exit.isFailure(started)) {
        if (typeof continues === "string") this.cache.evict(continues)
        const failure = Cause.findErrorOption(started.cause)
        return failure._tag === "Some"
          ? this.error(failure.value, create.streamId)
          : this.error(ApiError.internal(), create.streamId, started.cause)
      }
      const { prepared, generation } = started.value
      const reader = generation.events()
      if (this.closed) return void (await reader.abandon())
      this.readers.add(reader)
      let final: ResponseObject.Response | undefined
      try {
        for (;;) {
          const events = await reader.next()
          if (events === undefined) break
          for (const event of events) {
            const type = Dialect.nameIn(event.type, this.dialect)
            const named = type === event.type ? event : { ...event, type }
            this.send(JSON.stringify(create.streamId === undefined ? named : { ...named, stream_id: create.streamId }))
            final = terminal(event) ?? final
          }
        }
      } finally {
        this.readers.delete(reader)
      }
      if (final === undefined) return
      if (final.status === "completed" || final.status === "incomplete") {
        if (prepared.request.store === false) this.cache.keep(final, prepared.input)
      } else if (typeof continues === "string") this.cache.evict(continues)
    } finally {
      unregister()
    }
  }
}

const terminal = (event: Event): ResponseObject.Response | undefined => Sequencer.terminalResponse(event)
