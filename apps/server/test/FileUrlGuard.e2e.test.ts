/**
 * `input_file.file_url` makes the server fetch a URL for a client: by default only from public hosts, so a
 * client cannot read the server's loopback services, its private network or a cloud metadata endpoint
 * (server-side request forgery). Redirects are followed by hand, each hop checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { isPrivateAddress } from "../src/internal/inputs/publicAddress.js"
import { type Harness, startHarness } from "./harness.js"

let files: Server
let filesUrl: string
let guarded: Harness
let open: Harness
beforeAll(async () => {
  files = createServer((req, res) => {
    if (req.url === "/secret.txt")
      return res.writeHead(200, { "content-type": "text/plain" }).end("the upstream's admin token")
    if (req.url === "/hop") return res.writeHead(302, { location: "/secret.txt" }).end()
    if (req.url === "/loop") return res.writeHead(302, { location: "/loop" }).end()
    return res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve))
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`
  guarded = await startHarness()
  open = await startHarness({ inputFiles: { maxBytes: 1024 * 1024, timeoutMs: 2_000, urls: "any" } })
})
afterAll(async () => {
  files.closeAllConnections()
  await new Promise((resolve) => files.close(resolve))
  await guarded.close()
  await open.close()
})

const ask = async (h: Harness, fileUrl: string) => {
  const response = await fetch(`${h.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "fake-model",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Read:" },
            { type: "input_file", filename: "f.txt", file_url: fileUrl }
          ]
        }
      ]
    })
  })
  return { status: response.status, body: await response.json() }
}

describe("file_url and private addresses", () => {
  const port = () => new URL(filesUrl).port
  const refused = () => [
    `${filesUrl}/secret.txt`,
    `http://localhost:${port()}/secret.txt`,
    `http://[::1]:${port()}/secret.txt`,
    `http://[::ffff:127.0.0.1]:${port()}/secret.txt`,
    `http://[::ffff:7f00:1]:${port()}/secret.txt`,
    `http://127.1:${port()}/secret.txt`,
    `http://2130706433:${port()}/secret.txt`,
    `http://0.0.0.0:${port()}/secret.txt`,
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/x",
    "http://192.168.1.1/x",
    "http://[fd00::1]/x"
  ]
  it("by default, every loopback, private and link-local host → 400, nothing fetched", async () => {
    for (const url of refused()) {
      const answer = await ask(guarded, url)
      expect(answer.status, url).toBe(400)
      expect(answer.body.error.message, url).toMatch(/not a public address/)
      expect(JSON.stringify(answer.body)).not.toContain("admin token")
    }
  })

  it("with the operator's opt-in, loopback is read, redirects followed (each hop checked), a loop refused", async () => {
    const direct = await ask(open, `${filesUrl}/hop`)
    expect(direct.status).toBe(200)
    expect(open.upstream.requests.at(-1).messages.at(-1).content).toContain("the upstream's admin token")
    const loop = await ask(open, `${filesUrl}/loop`)
    expect(loop.status).toBe(400)
    expect(loop.body.error.message).toMatch(/redirects too often/)
  })

  it("the address rule", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "::ffff:10.0.0.1",
      "::ffff:7f00:1",
      "::7f00:1",
      "not-an-ip"
    ]) {
      expect(isPrivateAddress(address), address).toBe(true)
    }
    for (const address of [
      "8.8.8.8",
      "1.1.1.1",
      "172.32.0.1",
      "2606:4700:4700::1111",
      "::ffff:8.8.8.8",
      "::ffff:808:808"
    ])
      expect(isPrivateAddress(address), address).toBe(false)
  })
})
