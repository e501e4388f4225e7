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
}

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
      const response = new Promise<Http.IncomingMessage>((resolve, reject) => {
        request.once("response", (answer) => {
          clearTimeout(timer)
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
