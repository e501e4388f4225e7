/**
 * `GET /v1/responses` with `Upgrade: websocket`: WebSocket mode (docs/architecture.md#websocket-mode). The
 * handshake is an ordinary request through the router — the same API-key guard (deny by default), the same
 * drain rule (503 once shutting down) — and the platform's own upgrade (effect/http over `ws`) takes the socket;
 * a message past the body limit closes it (1009, `ws`'s `maxPayload`, set in Server.ts). The handler lives as
 * long as the socket: it reads messages into the Connection and, when the socket closes, abandons what runs.
 */
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as ApiError from "../../ApiError.js"
import { dialectOf } from "../http/dialect.js"
import type { Services } from "../http/services.js"
import { Connection } from "./connection.js"

export const responsesSocket = (deps: Services) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.headers.upgrade?.toLowerCase() !== "websocket") {
      return yield* Effect.fail(
        ApiError.upgradeRequired(
          "GET /v1/responses opens a WebSocket ('Upgrade: websocket'); create a response over HTTP with POST."
        )
      )
    }
    const socket = yield* Effect.mapError(request.upgrade, () =>
      ApiError.badRequest("The WebSocket handshake could not be completed.", null, "websocket_handshake_failed")
    )
    yield* Effect.scoped(
      Effect.gen(function* () {
        const write = yield* socket.writer
        // Acquiring the reader completes the handshake (the 101).
        const reader = yield* socket.reader
        const connection = new Connection(
          deps,
          (text) => void Effect.runSyncExit(write.write(text)),
          dialectOf(request.headers, deps.config.dialect)
        )
        yield* Effect.addFinalizer(() => Effect.promise(() => connection.close()))
        // Until the socket closes: its close (or a read error) fails the pull and ends the loop.
        yield* Effect.forever(
          Effect.flatMap(reader.pull, (messages) =>
            Effect.sync(() => {
              for (const message of messages) connection.receive(message)
            })
          )
        )
      })
    ).pipe(Effect.ignore)
    return HttpServerResponse.empty()
  })
