/** The official openai SDK's WebSocket client (`ResponsesWS`) against a server under test, with what it received. */
import OpenAI from "openai"
import { ResponsesWS } from "openai/resources/responses/ws"

export interface WsSession {
  readonly ws: ResponsesWS
  /** Every server event, in order of arrival. */
  readonly events: Array<any>
  /** Errors the SDK reported (server `error` events, transport errors). */
  readonly errors: Array<any>
  /** Resolves with the close code once the socket closed. */
  readonly closed: Promise<number>
  /** Waits until `predicate` holds over the events (or fails after `ms`). */
  readonly until: (predicate: (events: ReadonlyArray<any>) => boolean, ms?: number) => Promise<void>
  /** The events of one lane (`stream_id`; undefined: the default lane). */
  readonly lane: (streamId: string | undefined) => Array<any>
}

export const openSession = (baseUrl: string, apiKey: string): WsSession => {
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0 })
  const ws = new ResponsesWS(client)
  const events: Array<any> = []
  const errors: Array<any> = []
  const waiters = new Set<() => void>()
  ws.on("event", (event) => {
    events.push(event)
    for (const wake of waiters) wake()
  })
  ws.on("error", (error) => {
    errors.push(error)
    for (const wake of waiters) wake()
  })
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)))
  const until = (predicate: (events: ReadonlyArray<any>) => boolean, ms = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(events)) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(
          new Error(
            `timed out; got ${events.map((e) => `${e.type}${e.stream_id ? `@${e.stream_id}` : ""}`).join(", ")}`
          )
        )
      }, ms)
      waiters.add(check)
      check()
    })
  const lane = (streamId: string | undefined) => events.filter((e) => e.stream_id === streamId)
  return { ws, events, errors, closed, until, lane }
}

export const isTerminal = (event: any): boolean =>
  event.type === "response.completed" || event.type === "response.incomplete" || event.type === "response.failed"

/** How many terminal events (and error events) a list holds. */
export const endings = (events: ReadonlyArray<any>): number =>
  events.filter((e) => isTerminal(e) || e.type === "error").length
