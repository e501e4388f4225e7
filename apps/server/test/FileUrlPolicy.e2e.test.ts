/**
 * The file_url address policy through the real server: under the default (`public`) loopback, link-local and
 * private hosts are refused with a 400 naming the part — however the address is written — while `any` fetches
 * the very same URLs (so the refusal is the policy, not a failed connect), and `off` fetches nothing. Also the
 * PDF page cap.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type Harness, startHarness } from "./harness.js"
import { fileText, Unreadable } from "../src/internal/inputs/fileText.js"
import { dataUrl, makePdf } from "./pdfFixture.js"

let open: Harness
let strict: Harness
let off: Harness
let files: Server
let port: number
let ipv6 = true
beforeAll(async () => {
  ;[open, strict, off] = await Promise.all([
    startHarness({ inputFiles: { maxBytes: 1024, timeoutMs: 2_000, urls: "any" } }),
    startHarness(),
    startHarness({ inputFiles: { maxBytes: 1024, timeoutMs: 2_000, urls: "off" } })
  ])
  files = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("internal secret"))
  // `::` takes IPv4 too where the host has IPv6; else IPv4 only.
  await new Promise<void>((resolve) =>
    files.listen(0, "::", resolve).once("error", () => ((ipv6 = false), files.listen(0, "0.0.0.0", resolve)))
  )
  port = (files.address() as AddressInfo).port
})
afterAll(async () => {
  files.closeAllConnections()
  await new Promise((resolve) => files.close(resolve))
  await Promise.all([open.close(), strict.close(), off.close()])
})

const post = async (h: Harness, part: unknown) => {
  const response = await fetch(`${h.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "fake-model",
      input: [{ role: "user", content: [{ type: "input_text", text: "Read:" }, part] }]
    })
  })
  return { status: response.status, body: (await response.json()) as any }
}

const refused = (result: { status: number; body: any }, pattern: RegExp) => {
  expect(result.status).toBe(400)
  expect(result.body.error).toMatchObject({
    type: "invalid_request_error",
    param: "input[0].content[1]",
    code: "invalid_input_file"
  })
  expect(result.body.error.message).toMatch(pattern)
}

const hosts = () => [
  "127.0.0.1",
  "localhost",
  "2130706433", // decimal 127.0.0.1
  "0x7f.0.0.1", // hex
  "0177.0.0.1", // octal
  "127.1",
  "[::1]",
  "[::ffff:127.0.0.1]"
]

describe("file_url under the default policy (public)", () => {
  it("loopback however written (name, decimal, hex, octal, shorthand, IPv6, IPv4-mapped) → 400; `any` fetches the same URLs", async () => {
    for (const host of hosts()) {
      const url = `http://${host}:${port}/notes.txt`
      const denied = await post(strict, { type: "input_file", file_url: url })
      refused(denied, /whose host is not a public address; this server fetches files from public addresses only/)
      expect(denied.body.error.message).not.toMatch(/127\.0\.0\.1|::1|internal secret/)
      // The control needs the listener on ::1, which a host without IPv6 lacks.
      if (ipv6 || !host.startsWith("["))
        expect((await post(open, { type: "input_file", file_url: url })).status, url).toBe(200)
    }
    expect(strict.upstream.requests.length).toBe(0)
  })

  it("cloud metadata, private and CGNAT addresses → 400 before any connection", async () => {
    for (const host of [
      "169.254.169.254",
      "10.0.0.1",
      "192.168.0.1",
      "172.16.0.1",
      "100.64.0.1",
      "0.0.0.0",
      "[fd00::1]",
      "[fe80::1]"
    ]) {
      refused(
        await post(strict, { type: "input_file", file_url: `http://${host}/latest/meta-data/` }),
        /not a public address/
      )
    }
  })
})

describe("file_url under off", () => {
  it("any file_url → 400 saying the server does not fetch URLs; file_data still works", async () => {
    refused(
      await post(off, { type: "input_file", file_url: `http://127.0.0.1:${port}/a.txt` }),
      /does not fetch URLs.*file_data/
    )
    refused(await post(off, { type: "input_file", file_url: "https://example.com/a.pdf" }), /does not fetch URLs/)
    expect((await post(off, { type: "input_file", filename: "a.txt", file_data: "data:text/plain,hi" })).status).toBe(
      200
    )
  })
})

describe("PDF caps", () => {
  it("a PDF of more than 200 pages → 400 naming the part and the count; 200 pages are read", async () => {
    const pages = (n: number) => Array.from({ length: n }, (_, i) => `Page ${i + 1}.`)
    refused(
      await post(strict, {
        type: "input_file",
        filename: "long.pdf",
        file_data: dataUrl(makePdf(pages(201)), "application/pdf")
      }),
      /PDF of 201 pages; the server reads at most 200/
    )
    expect(
      (
        await post(strict, {
          type: "input_file",
          filename: "ok.pdf",
          file_data: dataUrl(makePdf(pages(200)), "application/pdf")
        })
      ).status
    ).toBe(200)
    expect(strict.upstream.requests.at(-1).messages.at(-1).content).toContain("Page 200.")
  })

  it("a PDF whose text outgrows the character cap is refused, not truncated", async () => {
    const pdf = makePdf(["a".repeat(30), "b".repeat(30)])
    const capped = await fileText(pdf, "application/pdf", "x.pdf", { maxPages: 200, maxChars: 40 })
    expect(capped).toBeInstanceOf(Unreadable)
    expect((capped as Unreadable).message).toBe("is a PDF with more text than the server's limit of 40 characters")
    expect(await fileText(pdf, "application/pdf", "x.pdf", { maxPages: 200, maxChars: 70 })).toBe(
      `${"a".repeat(30)}\n${"b".repeat(30)}`
    )
  })
})
