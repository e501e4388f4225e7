/** Reading request bodies with a size limit (413) and OpenAI's JSON error (400). */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ApiError from "../ApiError.js"

export const readText = (limit: number): Effect.Effect<string, ApiError.ApiError, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const length = Number(request.headers["content-length"] ?? "0")
    if (length > limit) return yield* Effect.fail(ApiError.tooLarge(limit))
    return yield* request.text.pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(limit)),
      Effect.mapError((error) =>
        String(error.reason ?? "").includes("Size") || /too large|size/i.test(String(error.message ?? error.cause ?? ""))
          ? ApiError.tooLarge(limit)
          : ApiError.badRequest("Could not read the request body.")
      )
    )
  })

export const readJsonObject = (limit: number) =>
  Effect.flatMap(readText(limit), (text) => {
    try {
      const body: unknown = JSON.parse(text)
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return Effect.fail(ApiError.badRequest("The request body must be a JSON object."))
      }
      return Effect.succeed({ text, body: body as Record<string, unknown> })
    } catch {
      return Effect.fail(
        ApiError.badRequest(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
          null,
          "invalid_json"
        )
      )
    }
  })
