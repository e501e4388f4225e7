/**
 * A stream with llama.cpp's two known faults (docs/architecture.md#event-grammar): the second consecutive function
 * call has no `output_item.added`, and every `output_item.done` is deferred to the end. Served by a tiny
 * node:http server so `parlance check` can be pointed at it.
 */
import { readFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"

const vector = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../packages/translate/vectors/two-consecutive-tool-calls.json"), "utf8")
) as { events: Array<Record<string, unknown>> }

/** The golden vector's correct stream, broken the way llama-server breaks it. */
const broken = (events: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> => {
  const isAdded = (e: Record<string, unknown>) => e.type === "response.output_item.added"
  const isDone = (e: Record<string, unknown>) => e.type === "response.output_item.done"
  const secondAdded = events.filter(isAdded)[1]
  const dones = events.filter(isDone)
  const body = events.filter((e) => e !== secondAdded && !isDone(e))
  // fault 1: no output_item.added for the second call; fault 2: every output_item.done deferred to the end
  return [...body.slice(0, -1), ...dones, body.at(-1)!]
}

export const faultyEvents: ReadonlyArray<Record<string, unknown>> = broken(vector.events).map((e, i) => ({
  ...e,
  sequence_number: i
}))

export const faultySse: string = faultyEvents.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("")

export const startFaultyServer = async (): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" })
        return res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }))
      }
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.end(faultySse)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
