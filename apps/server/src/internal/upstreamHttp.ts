/**
 * The request that opens a streamed completion, on node:http with a keep-alive pool. Not `fetch`: on Node 20
 * undici's fetch costs about five times the CPU of `http.request` per call (Request/Headers objects, web
 * streams), and this runs once per generation.
 */
import * as Http from "node:http"
import * as Https from "node:https"

export class ConnectTimeout extends Error {}

export interface Exchange {
  /** Settles with the response once its headers arrived; rejects on a connect failure or timeout. */
  readonly response: Promise<Http.IncomingMessage>
  /** Ends the exchange now (client gone, cancel): the socket is destroyed, a pending read fails. */
  readonly abort: () => void
  /**
   * The body was read to its logical end (`[DONE]`): what is left of it (the chunked terminator) drains, so
   * the socket goes back to the keep-alive pool instead of a new connection per request. Destroyed if it
   * does not end soon.
   */
  readonly finish: () => void
}

/** How long a finished body may take to end before its socket is destroyed. */
const finishMs = 1_000

export interface Poster {
  readonly post: (path: string, body: string) => Exchange
}

export const make = (baseUrl: string, headers: Readonly<Record<string, string>>, connectTimeoutMs: number): Poster => {
  const base = new URL(baseUrl)
  const secure = base.protocol === "https:"
  const agent = secure ? new Https.Agent({ keepAlive: true }) : new Http.Agent({ keepAlive: true })
  const prefix = base.pathname.replace(/\/+$/, "")
  return {
    post: (path, body) => {
      const request = (secure ? Https : Http).request({
        protocol: base.protocol,
        hostname: base.hostname.replace(/^\[|\]$/g, ""),
        port: base.port,
        path: `${prefix}${path}`,
        method: "POST",
        agent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) }
      })
      const timer = setTimeout(() => request.destroy(new ConnectTimeout()), connectTimeoutMs)
      // Once the answer was read to its end, the socket is back in the pool (maybe serving another request).
      let ended = false
      let answered: Http.IncomingMessage | undefined
      const response = new Promise<Http.IncomingMessage>((resolve, reject) => {
        request.once("response", (answer) => {
          clearTimeout(timer)
          answered = answer
          answer.once("end", () => (ended = true))
          resolve(answer)
        })
        request.once("error", (error) => {
          clearTimeout(timer)
          reject(error)
        })
      })
      request.end(body)
      return {
        response,
        abort: () => {
          clearTimeout(timer)
          if (!ended) request.destroy()
        },
        finish: () => {
          clearTimeout(timer)
          if (ended) return
          if (answered === undefined) return void request.destroy()
          const late = setTimeout(() => request.destroy(), finishMs)
          late.unref()
          answered.once("end", () => clearTimeout(late))
          answered.once("close", () => clearTimeout(late))
          answered.resume()
        }
      }
    }
  }
}

/** The whole body as text (an error answer). */
export const text = (message: Http.IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let out = ""
    message.setEncoding("utf8")
    message.on("data", (part: string) => (out += part))
    message.once("end", () => resolve(out))
    message.once("error", () => resolve(out))
  })
