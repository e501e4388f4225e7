/** Helpers for the background-response tests: raw SSE bytes over fetch, cut where a client would drop. */
import { Sse, validateStream } from "@parlance/translate"
import { expect } from "@effect/vitest"

/** The complete events of an SSE text (a cut connection may end mid-event): their text and parsed events. */
export const complete = (text: string): { readonly text: string; readonly events: ReadonlyArray<any> } => {
  const end = text.lastIndexOf("\n\n")
  const whole = end < 0 ? "" : text.slice(0, end + 2)
  return { text: whole, events: Sse.decodeText(whole).map((m) => JSON.parse(m.data)) }
}

/**
 * Opens a stream (a POST body, or a GET when `body` is undefined) and reads it until `enough` says so, then drops
 * the connection: the complete events read so far.
 */
export const readUntil = async (
  url: string,
  body: unknown,
  enough: (events: ReadonlyArray<any>) => boolean
): Promise<{ readonly text: string; readonly events: ReadonlyArray<any> }> => {
  const controller = new AbortController()
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: controller.signal
  })
  expect(response.status).toBe(200)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    if (enough(complete(text).events)) break
  }
  controller.abort()
  await reader.cancel().catch(() => undefined)
  return complete(text)
}

/** The whole stream of a GET (to its end). */
export const readAll = async (url: string): Promise<{ readonly text: string; readonly events: ReadonlyArray<any> }> => {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toContain("text/event-stream")
  return complete(await response.text())
}

/** Strict grammar, sequence numbers from 0 without a gap, exactly one terminal event last. */
export const expectWellFormed = (events: ReadonlyArray<any>) => {
  expect(validateStream(events, { strict: true })).toEqual([])
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
}

export const poll = async <A>(read: () => Promise<A>, until: (a: A) => boolean, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (until(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 50))
  }
}
