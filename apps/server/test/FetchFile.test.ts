/**
 * fetchFile's address policy against real loopback servers, with the resolver and classifier injected: a
 * loopback server stands in for a "public" host (the injected classifier says which loopback address counts
 * as public), so redirects to non-public hosts, pinning and DNS rebinding can be tested without a network.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type FetchDeps, fetchFile, type InputFileOptions } from "../src/internal/inputs/inputFiles.js"
import { Unreadable } from "../src/internal/inputs/fileText.js"

let server: Server
let port: number
const hits: Array<string> = []
beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(`${req.socket.localAddress} ${req.headers.host} ${req.url}`)
    const to = (location: string) => res.writeHead(302, { location }).end()
    switch (req.url) {
      case "/file.txt":
        return res.writeHead(200, { "content-type": "text/plain" }).end("hello")
      case "/to-inner":
        return to(`http://inner.test:${port}/file.txt`)
      case "/to-literal":
        return to(`http://127.0.0.2:${port}/file.txt`)
      case "/to-mapped":
        return to(`http://[::ffff:127.0.0.2]:${port}/file.txt`)
      case "/to-self":
        return to("/file.txt")
      case "/loop":
        return to("/loop")
      case "/to-file":
        return to("file:///etc/passwd")
      case "/gzip":
        return res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" }).end("x")
      default:
        return res.writeHead(404).end()
    }
  })
  // Every loopback address: 127.0.0.2 must reach it too, so a refusal is the policy, not a failed connect.
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

const options: InputFileOptions = { maxBytes: 1024, timeoutMs: 2_000, urls: "public" }

/** public.test → 127.0.0.1, inner.test → 127.0.0.2; only 127.0.0.1 counts as public. */
const deps = (answers: Record<string, ReadonlyArray<string>> = {}): FetchDeps & { readonly asked: Array<string> } => {
  const asked: Array<string> = []
  const table: Record<string, ReadonlyArray<string>> = {
    "public.test": ["127.0.0.1"],
    "inner.test": ["127.0.0.2"],
    ...answers
  }
  return {
    asked,
    resolve: async (host) => {
      asked.push(host)
      return (table[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }))
    },
    isPublic: (address) => address === "127.0.0.1"
  }
}

const text = (result: unknown) =>
  result instanceof Unreadable ? result.message : Buffer.from((result as { bytes: Uint8Array }).bytes).toString()

describe("fetchFile under the public policy", () => {
  it("connects to the address it checked: public.test is not in real DNS, yet it is reached", async () => {
    const d = deps()
    expect(text(await fetchFile(`http://public.test:${port}/file.txt`, options, d))).toBe("hello")
    expect(d.asked).toEqual(["public.test"])
    expect(hits.at(-1)).toBe(`127.0.0.1 public.test:${port} /file.txt`)
  })

  it("a relative redirect to the same public host is followed, the host checked again", async () => {
    const d = deps()
    expect(text(await fetchFile(`http://public.test:${port}/to-self`, options, d))).toBe("hello")
    expect(d.asked).toEqual(["public.test", "public.test"])
  })

  it("a redirect to a host that resolves to a non-public address is refused before connecting", async () => {
    const before = hits.length
    expect(text(await fetchFile(`http://public.test:${port}/to-inner`, options, deps()))).toMatch(
      /redirects to a host that is not a public address/
    )
    expect(hits.slice(before)).toEqual([`127.0.0.1 public.test:${port} /to-inner`])
  })

  it("a redirect to a non-public literal, IPv4 or IPv4-mapped IPv6, is refused", async () => {
    expect(text(await fetchFile(`http://public.test:${port}/to-literal`, options, deps()))).toMatch(
      /redirects to a host that is not a public address/
    )
    expect(text(await fetchFile(`http://public.test:${port}/to-mapped`, options, deps()))).toMatch(
      /redirects to a host that is not a public address/
    )
  })

  it("the same redirects are followed under `any`", async () => {
    expect(text(await fetchFile(`http://public.test:${port}/to-inner`, { ...options, urls: "any" }, deps()))).toBe(
      "hello"
    )
    expect(hits.at(-1)).toBe(`127.0.0.2 inner.test:${port} /file.txt`)
  })

  it("a host with one non-public answer among public ones is refused", async () =>
    expect(
      text(
        await fetchFile(
          `http://mixed.test:${port}/file.txt`,
          options,
          deps({ "mixed.test": ["127.0.0.1", "127.0.0.2"] })
        )
      )
    ).toMatch(/whose host is not a public address/))

  it("DNS rebinding: each host is resolved once per hop, and the socket goes to that answer", async () => {
    let calls = 0
    const rebinding: FetchDeps = {
      resolve: async () => [{ address: calls++ === 0 ? "127.0.0.1" : "127.0.0.2", family: 4 }],
      isPublic: (address) => address === "127.0.0.1"
    }
    expect(text(await fetchFile(`http://rebind.test:${port}/file.txt`, options, rebinding))).toBe("hello")
    expect(calls).toBe(1)
    expect(hits.at(-1)).toBe(`127.0.0.1 rebind.test:${port} /file.txt`)
  })

  it("more than 3 redirects, a redirect to a non-http(s) URL, an unresolvable host, a compressed answer → refused", async () => {
    expect(text(await fetchFile(`http://public.test:${port}/loop`, options, deps()))).toMatch(
      /redirects too often \(more than 3 times\)/
    )
    expect(text(await fetchFile(`http://public.test:${port}/to-file`, options, deps()))).toMatch(
      /redirects to a URL that is not http\(s\)/
    )
    expect(text(await fetchFile(`http://nowhere.test:${port}/file.txt`, options, deps()))).toMatch(
      /host does not resolve/
    )
    expect(text(await fetchFile(`http://public.test:${port}/gzip`, options, deps()))).toMatch(/content-encoding 'gzip'/)
  })
})
