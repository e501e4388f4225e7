/**
 * A conforming `/v1/responses` server that is not Parlance: it forwards every request to a real Parlance and
 * rewrites the answer the ways other servers (OpenAI among them) legally differ — `reasoning: null` (the SDK
 * types say `Reasoning | null`), no `completed_at` (older OpenAI responses), extra fields on the Response,
 * items and events (OpenAI's `obfuscation`), and `data: [DONE]` after the terminal event (Open Responses).
 */
import { Sse } from "@parlance/translate"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

const item = (i: unknown): unknown => (isObject(i) ? { ...i, x_vendor_item: 1 } : i)

/** The Response as another server sends it. */
export const variantResponse = (r: Json): Json => {
  const { completed_at: _, ...rest } = r
  return {
    ...rest,
    reasoning: null,
    x_vendor: { region: "test" },
    output: Array.isArray(r.output) ? r.output.map(item) : r.output
  }
}

const variantEvent = (e: Json): Json => ({
  ...e,
  ...(isObject(e.response) ? { response: variantResponse(e.response) } : {}),
  ...(isObject(e.item) ? { item: item(e.item) } : {}),
  ...(typeof e.delta === "string" ? { obfuscation: "x9" } : {})
})

const variantSse = (text: string): string =>
  Sse.decodeText(text)
    .filter((m) => m.data !== "[DONE]")
    .map((m) => Sse.encodeEvent(variantEvent(JSON.parse(m.data) as Json) as Parameters<typeof Sse.encodeEvent>[0]))
    .join("") + Sse.done

export const startConformingVariant = async (
  parlanceBaseUrl: string
): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", async () => {
      const upstream = await fetch(`${parlanceBaseUrl}${(req.url ?? "/").replace(/^\/v1/, "")}`, {
        method: req.method ?? "GET",
        headers: { "content-type": "application/json" },
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {})
      })
      const contentType = upstream.headers.get("content-type") ?? ""
      const text = await upstream.text()
      res.writeHead(upstream.status, { "content-type": contentType })
      if (upstream.status !== 200) return res.end(text)
      if (contentType.includes("text/event-stream")) return res.end(variantSse(text))
      const body = JSON.parse(text) as unknown
      res.end(JSON.stringify(isObject(body) && body.object === "response" ? variantResponse(body) : body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
