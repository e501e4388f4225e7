/**
 * input_file through the real server: PDF (real PDF bytes, text extracted), text, Markdown, JSON and CSV, by
 * file_data and by file_url from a loopback file server; what cannot be read is a 400 naming the part.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import OpenAI from "openai"
import { type Harness, startHarness } from "./harness.js"
import { dataUrl, makePdf } from "./pdfFixture.js"

const pdf = makePdf(["Quarterly report: revenue grew (a lot).", "Page two says goodbye."])
const big = "x".repeat(64 * 1024)

let h: Harness
let files: Server
let filesUrl: string
beforeAll(async () => {
  // `any`: the file server is on loopback, which the default (`public`) policy refuses (FileUrlPolicy.e2e.test.ts).
  h = await startHarness({ inputFiles: { maxBytes: 16 * 1024, timeoutMs: 300, urls: "any" } })
  files = createServer((req, res) => {
    switch (req.url) {
      case "/docs/report.pdf":
        return res.writeHead(200, { "content-type": "application/pdf" }).end(pdf)
      case "/data.csv":
        return res.writeHead(200, { "content-type": "text/csv; charset=utf-8" }).end("city,temp\nParis,21\n")
      case "/big.txt":
        return res.writeHead(200, { "content-type": "text/plain" }).end(big)
      case "/big-chunked.txt": {
        // No content-length: the limit must hold while streaming.
        res.writeHead(200, { "content-type": "text/plain" })
        for (let i = 0; i < 8; i++) res.write(big.slice(0, 8 * 1024))
        return res.end()
      }
      case "/slow.txt": {
        res.writeHead(200, { "content-type": "text/plain" })
        res.write("first bytes…")
        const timer = setTimeout(() => res.end("too late"), 10_000)
        return res.on("close", () => clearTimeout(timer))
      }
      default:
        return res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve))
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`
})
afterAll(async () => {
  files.closeAllConnections()
  await new Promise((resolve) => files.close(resolve))
  await h.close()
})

const post = async (parts: ReadonlyArray<unknown>) => {
  const response = await fetch(`${h.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "fake-model",
      input: [{ role: "user", content: [{ type: "input_text", text: "Summarise:" }, ...parts] }]
    })
  })
  return { status: response.status, body: (await response.json()) as any }
}

/** What the model was sent as the user's turn. */
const userTurn = (): string => h.upstream.requests.at(-1).messages.find((m: any) => m.role === "user").content

const refusedAt = (result: { status: number; body: any }, pattern: RegExp) => {
  expect(result.status).toBe(400)
  expect(result.body.error).toMatchObject({ type: "invalid_request_error", param: "input[0].content[1]" })
  expect(result.body.error.message).toMatch(pattern)
}

describe("input_file by file_data", () => {
  it("a PDF (the Open Responses compliance suite's shape, through the openai SDK): its text and name reach the model", async () => {
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const response = await client.responses.create({
      model: "fake-model",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Summarise:" },
            { type: "input_file", filename: "report.pdf", file_data: dataUrl(pdf, "application/pdf") }
          ]
        }
      ]
    })
    expect(response.status).toBe("completed")
    const turn = userTurn()
    expect(turn).toContain('<file name="report.pdf">')
    expect(turn).toContain("Quarterly report: revenue grew (a lot).")
    expect(turn).toContain("Page two says goodbye.")
    expect(turn.startsWith("Summarise:\n")).toBe(true)
  })

  it("plain text, Markdown, JSON and CSV, typed by the data URL or, for bare base64, by the file name", async () => {
    const cases = [
      { filename: "notes.txt", file_data: "data:text/plain,hello%20notes" },
      { filename: "README.md", file_data: dataUrl(new TextEncoder().encode("# Title\n\n- item"), "text/markdown") },
      { filename: "config.json", file_data: Buffer.from('{"a":1}').toString("base64") },
      { filename: "table.csv", file_data: dataUrl(new TextEncoder().encode("a,b\n1,2"), "text/csv") }
    ]
    const result = await post(cases.map((c) => ({ type: "input_file", ...c })))
    expect(result.status).toBe(200)
    const turn = userTurn()
    for (const expected of [
      '<file name="notes.txt">\nhello notes\n</file>',
      "# Title\n\n- item",
      '<file name="config.json">\n{"a":1}\n</file>',
      "a,b\n1,2"
    ]) {
      expect(turn).toContain(expected)
    }
  })

  it("an input_file inside a function_call_output reaches the tool message", async () => {
    const response = await fetch(`${h.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "fake-model",
        input: [
          { role: "user", content: "read it" },
          { type: "function_call", call_id: "c1", name: "fetch_doc", arguments: "{}" },
          {
            type: "function_call_output",
            call_id: "c1",
            output: [{ type: "input_file", filename: "r.pdf", file_data: dataUrl(pdf, "application/pdf") }]
          }
        ]
      })
    })
    expect(response.status).toBe(200)
    expect(h.upstream.requests.at(-1).messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "c1" })
    expect(h.upstream.requests.at(-1).messages.at(-1).content).toContain("Page two says goodbye.")
  })

  it("an encrypted PDF → 400 naming the part", async () =>
    refusedAt(
      await post([
        {
          type: "input_file",
          filename: "secret.pdf",
          file_data: dataUrl(makePdf(["hidden"], { encrypted: true }), "application/pdf")
        }
      ]),
      /encrypted/
    ))

  it("a broken PDF → 400", async () =>
    refusedAt(
      await post([
        {
          type: "input_file",
          filename: "broken.pdf",
          file_data: dataUrl(new TextEncoder().encode("%PDF-1.4\ngarbage"), "application/pdf")
        }
      ]),
      /not a readable PDF/
    ))

  it("an unknown type (an image) → 400 saying what is read", async () =>
    refusedAt(
      await post([{ type: "input_file", filename: "photo.png", file_data: "data:image/png;base64,iVBORw0KGgo=" }]),
      /image\/png.*PDF, plain text, Markdown, JSON and CSV/
    ))

  it("text that is not UTF-8, JSON that does not parse → 400", async () => {
    refusedAt(
      await post([{ type: "input_file", filename: "a.txt", file_data: "data:text/plain;base64,//79" }]),
      /UTF-8/
    )
    refusedAt(
      await post([{ type: "input_file", filename: "a.json", file_data: "data:application/json,{nope" }]),
      /not valid JSON/
    )
  })

  it("file_id (no Files API here) → 400 naming the part", async () =>
    refusedAt(await post([{ type: "input_file", file_id: "file-abc123" }]), /file_id.*no Files API/))
})

describe("input_file by file_url", () => {
  it("fetches a PDF and a CSV; the URL's last segment names a file without filename", async () => {
    const result = await post([
      { type: "input_file", file_url: `${filesUrl}/docs/report.pdf` },
      { type: "input_file", filename: "temps.csv", file_url: `${filesUrl}/data.csv` }
    ])
    expect(result.status).toBe(200)
    const turn = userTurn()
    expect(turn).toContain('<file name="report.pdf">\nQuarterly report')
    expect(turn).toContain('<file name="temps.csv">\ncity,temp\nParis,21\n</file>')
  })

  it("larger than the limit → 400, by content-length and while streaming", async () => {
    refusedAt(
      await post([{ type: "input_file", file_url: `${filesUrl}/big.txt` }]),
      /larger than the server's limit of 16384 bytes/
    )
    refusedAt(
      await post([{ type: "input_file", file_url: `${filesUrl}/big-chunked.txt` }]),
      /larger than the server's limit/
    )
  })

  it("slower than the timeout → 400, in about the timeout", async () => {
    const started = Date.now()
    refusedAt(await post([{ type: "input_file", file_url: `${filesUrl}/slow.txt` }]), /did not arrive within 300 ms/)
    // The 300 ms timeout plus seconds of slack for a loaded machine; the file itself would take 10 s.
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it("an HTTP error, a non-http(s) URL → 400", async () => {
    refusedAt(await post([{ type: "input_file", file_url: `${filesUrl}/missing.pdf` }]), /HTTP 404/)
    refusedAt(await post([{ type: "input_file", file_url: "file:///etc/passwd" }]), /not http\(s\)/)
  })
})
