/** Starts the real server over loopback in front of the fake upstream, and reads SSE like a client. */
import { Sse, validateStream } from "@parlance/translate"
import { Server, Upstream } from "../src/index.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"
import * as SpecTap from "./specTap.js"

export interface Harness {
  readonly upstream: FakeUpstream
  readonly server: Server.RunningServer
  readonly url: string
  readonly close: () => Promise<void>
}

export const startHarness = async (
  options: Partial<Server.ServerOptions> & { upstreamOptions?: Partial<Upstream.UpstreamOptions> } = {}
): Promise<Harness> => {
  const upstream = await startFakeUpstream()
  const backend = Upstream.make({ baseUrl: upstream.url, ...options.upstreamOptions })
  const server = await Server.start({ backend, port: 0, ...options })
  // Everything this server sends on /v1/responses is checked against the Open Responses spec at close.
  const spec = SpecTap.watch(server.url)
  return {
    upstream,
    server,
    url: server.url,
    close: async () => {
      await server.close()
      await upstream.close()
      spec.check()
    }
  }
}

export interface SseCapture {
  readonly status: number
  readonly contentType: string | null
  readonly names: ReadonlyArray<string | undefined>
  readonly events: ReadonlyArray<any>
}

/** POST and read the whole SSE body with a real parser. */
export const postSse = async (
  url: string,
  body: unknown,
  headers: Record<string, string> = {}
): Promise<SseCapture> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  const messages = Sse.decodeText(text)
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    names: messages.map((m) => m.event),
    events: messages.filter((m) => m.data !== "[DONE]").map((m) => JSON.parse(m.data))
  }
}

export const violations = (capture: SseCapture) =>
  validateStream(capture.events, { eventNames: capture.names, strict: true })

/** Ids and timestamps differ between two requests; everything else must not. */
export const normalize = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v) =>
    key === "id" || key === "item_id" || key === "call_id" || key === "created_at" || key === "completed_at" ? "*" : v
  )
