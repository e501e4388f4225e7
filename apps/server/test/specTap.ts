/**
 * Validates everything a server under test sends on `/v1/responses…` against the Open Responses spec's JSON
 * Schemas, whatever client made the call (the openai SDK, the AI SDK, plain fetch): a global `fetch` wrapper
 * reads a clone of each body. The harness checks at close, so every e2e suite is held to the spec.
 */
import { SpecValidator } from "@parlance/open-responses"
import { Sse } from "@parlance/translate"

interface Tap {
  readonly where: string
  readonly sse: boolean
  text: string
  finished: boolean
}

interface Watch {
  readonly taps: Array<Tap>
}

const watches = new Map<string, Watch>()
const original = globalThis.fetch

const urlOf = (input: Parameters<typeof fetch>[0]): string =>
  typeof input === "string" ? input : input instanceof URL ? input.href : input.url

/**
 * The same response, its body read through a copy-as-you-go stream: the client's reading drives it and its
 * cancel reaches the connection (a `tee` would keep the connection open and change disconnect tests).
 */
const through = (response: Response, tap: Tap): Response => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          tap.text += decoder.decode()
          tap.finished = true
          return controller.close()
        }
        tap.text += decoder.decode(value, { stream: true })
        controller.enqueue(value)
      } catch (e) {
        controller.error(e)
      }
    },
    cancel: (reason) => reader.cancel(reason)
  })
  const copy = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
  Object.defineProperty(copy, "url", { value: response.url })
  return copy
}

/** A body cut short (client gone, never read) is checked up to its last complete SSE frame; JSON only whole. */
const check = (tap: Tap, problems: Array<string>): number => {
  if (tap.sse) {
    const text = tap.finished ? tap.text : tap.text.slice(0, tap.text.lastIndexOf("\n\n") + 2)
    const events = Sse.decodeText(text)
      .filter((m) => m.data !== "[DONE]")
      .map((m) => JSON.parse(m.data) as unknown)
    for (const problem of SpecValidator.validateEvents(events)) problems.push(`${tap.where}: ${problem}`)
    return events.length
  }
  if (!tap.finished) return 0
  let body: { object?: unknown } | null
  try {
    body = JSON.parse(tap.text) as { object?: unknown } | null
  } catch {
    return 0 // not JSON: not a Response (the route's own tests judge it)
  }
  if (typeof body !== "object" || body === null || body.object !== "response") return 0
  for (const problem of SpecValidator.validateResponse(body)) problems.push(`${tap.where}: ${problem}`)
  return 1
}

const tapped: typeof fetch = async (input, init) => {
  const response = await original(input, init)
  const url = urlOf(input)
  const watch = [...watches].find(([base]) => url.startsWith(`${base}/v1/responses`))?.[1]
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase()
  // DELETE answers `{ id, object: "response", deleted }`, not a Response.
  if (watch === undefined || !response.ok || response.body === null || method === "DELETE") return response
  const sse = (response.headers.get("content-type") ?? "").startsWith("text/event-stream")
  const tap: Tap = { where: `${method} ${new URL(url).pathname}`, sse, text: "", finished: false }
  watch.taps.push(tap)
  return through(response, tap)
}

/** Start validating what `serverUrl` sends. `check` stops, throws if anything broke the spec, else counts what it checked. */
export const watch = (serverUrl: string): { readonly check: () => number } => {
  const w: Watch = { taps: [] }
  watches.set(serverUrl, w)
  globalThis.fetch = tapped
  return {
    check: () => {
      watches.delete(serverUrl)
      if (watches.size === 0) globalThis.fetch = original
      const problems: Array<string> = []
      const count = w.taps.reduce((n, tap) => n + check(tap, problems), 0)
      if (problems.length > 0)
        throw new Error(`${problems.length} Open Responses spec violations:\n${problems.slice(0, 20).join("\n")}`)
      return count
    }
  }
}
