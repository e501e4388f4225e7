/**
 * Which dialect a `/v1/responses` stream speaks (docs/architecture.md#dialects). Neither the Open Responses
 * OpenAPI document nor its specification text defines a way for a request to ask; the project's own reference
 * requests (its generated curl examples) send an `OpenResponses-Version` header, which only an Open Responses
 * client sends — so that header, with any value, asks for the spec's names. Otherwise the server's `--dialect`.
 * The same rule for every way a stream is read: created, replayed (`GET …?stream=true`), or over a WebSocket
 * (the header on its handshake).
 */
import { Dialect, Sse } from "@parlance/translate"
import { type Readable, Transform } from "node:stream"

export const dialectOf = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  fallback: Dialect.Dialect
): Dialect.Dialect => (headers["openresponses-version"] !== undefined ? "openresponses" : fallback)

/**
 * A stream of kept frames (a background response's, as they were sent: OpenAI's names) in `dialect`: renamed
 * frame by frame, and the spec's `[DONE]` after the terminal event. OpenAI's is the stream itself, byte for byte.
 */
export const inDialect = (frames: Readable, dialect: Dialect.Dialect): Readable => {
  if (dialect === "openai") return frames
  let ended = false
  const renamed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = Dialect.renameFrames(chunk.toString("utf8"), dialect)
      if (out.text !== "") ended = out.ended
      callback(null, out.text === "" ? undefined : Buffer.from(out.text, "utf8"))
    },
    flush(callback) {
      callback(null, ended ? Buffer.from(Sse.done, "utf8") : undefined)
    }
  })
  // The reader leaving closes the source too (it stops reading the log or the store).
  renamed.on("close", () => frames.destroy())
  frames.on("error", (error) => renamed.destroy(error))
  return frames.pipe(renamed)
}
