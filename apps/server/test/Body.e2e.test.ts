/**
 * Request bodies, as a hostile or careless client sends them: deep nesting, chunked bodies past the limit,
 * bodies that are not JSON, media types the route does not take, and compressed bodies (gzip, deflate, br,
 * zstd) including bombs, whose decoded size is what the limit bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { connect } from "node:net"
import { join } from "node:path"
import * as zlib from "node:zlib"
import { type Harness, startHarness } from "./harness.js"

const LIMIT = 1024 * 1024

let h: Harness
beforeAll(async () => {
  h = await startHarness({ bodyLimit: LIMIT })
})
afterAll(() => h.close())

interface Answer {
  readonly status: number
  readonly body: any
}

/** POST with full control of the headers; `chunks` go out with chunked transfer encoding (no length). */
const send = (
  path: string,
  body: Buffer | ReadonlyArray<Buffer>,
  headers: Record<string, string> = { "content-type": "application/json" }
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(h.url)
    const chunked = Array.isArray(body)
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path,
        headers: chunked ? headers : { ...headers, "content-length": String((body as Buffer).length) }
      },
      (res) => {
        const parts: Array<Buffer> = []
        res.on("data", (part: Buffer) => parts.push(part))
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8")
          let parsed: unknown = text
          try {
            parsed = JSON.parse(text)
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      }
    )
    req.on("error", reject)
    if (!chunked) {
      req.end(body)
      return
    }
    // Write chunk by chunk, waiting for the socket to take each: a server that stops reading stalls us here.
    const parts = body as ReadonlyArray<Buffer>
    let i = 0
    const next = () => {
      while (i < parts.length) {
        if (!req.write(parts[i++]!)) return void req.once("drain", next)
      }
      req.end()
    }
    next()
  })

const outputText = (response: any): string =>
  (response.output ?? [])
    .flatMap((item: any) => item.content ?? [])
    .map((part: any) => part.text ?? "")
    .join("")
const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const request = { model: "fake-model", input: "hello" }

const expectError = (answer: Answer, status: number, code: string | null) => {
  expect(answer.status).toBe(status)
  expect(Object.keys(answer.body.error).sort()).toEqual(["code", "message", "param", "type"])
  expect(answer.body.error.code).toBe(code)
}

describe("nesting", () => {
  for (const depth of [129, 2_000, 5_000, 100_000]) {
    it(`a body nested ${depth} levels → 400 naming the limit`, async () => {
      const deep = `{"model":"fake-model","input":"x","metadata":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`
      const answer = await send("/v1/responses", Buffer.from(deep))
      expectError(answer, 400, "nesting_too_deep")
      expect(answer.body.error.message).toContain("128")
    })
  }

  it("a deeply nested tool schema within the limit is still read", async () => {
    let schema: any = { type: "string" }
    for (let i = 0; i < 40; i++) schema = { type: "object", properties: { x: schema } }
    const answer = await send(
      "/v1/responses",
      json({ ...request, tools: [{ type: "function", name: "f", parameters: schema }], tool_choice: "none" })
    )
    expect(answer.status).toBe(200)
  })

  it("/v1/chat/completions applies the same limit", async () => {
    const deep = `{"model":"fake-model","messages":${"[".repeat(5_000)}${"]".repeat(5_000)}}`
    expectError(await send("/v1/chat/completions", Buffer.from(deep)), 400, "nesting_too_deep")
  })
})

describe("size", () => {
  it("a chunked body past the limit → 413, not a reset connection", async () => {
    const piece = Buffer.alloc(64 * 1024, 0x20)
    const answer = await send("/v1/responses", [
      Buffer.from('{"model":"fake-model","input":"'),
      ...Array.from({ length: 40 }, () => piece),
      Buffer.from('"}')
    ])
    expectError(answer, 413, "request_too_large")
  })

  it("a chunked body within the limit is read", async () => {
    const answer = await send("/v1/responses", [
      Buffer.from('{"model":"fake-model",'),
      Buffer.from('"input":"in pieces"}')
    ])
    expect(answer.status).toBe(200)
    expect(outputText(answer.body)).toBe("echo: in pieces (messages: 1)")
  })

  it("a declared length past the limit → 413 before reading", async () => {
    expectError(await send("/v1/responses", Buffer.alloc(LIMIT + 1, 0x20)), 413, "request_too_large")
  })

  it("the connection stays usable after a 413 (the rest of the body was drained)", async () => {
    expectError(
      await send(
        "/v1/responses",
        Array.from({ length: 20 }, () => Buffer.alloc(128 * 1024, 0x20))
      ),
      413,
      "request_too_large"
    )
    expect((await send("/v1/responses", json(request))).status).toBe(200)
  })

  it("the rest of the body may arrive after the 413 (megabytes of it), and the connection stays usable", async () => {
    const socket = connect(Number(new URL(h.url).port), "127.0.0.1")
    let received = ""
    socket.setEncoding("utf8")
    socket.on("data", (data: string) => (received += data))
    await new Promise((resolve) => socket.on("connect", resolve))
    const chunk = (bytes: number) => `${bytes.toString(16)}\r\n${" ".repeat(bytes)}\r\n`
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    socket.write(
      `POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(LIMIT + 1)}`
    )
    // Deadlines, not latency bounds: a loaded machine may take a while.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !received.includes("\r\n\r\n"); )
      await pause(20)
    expect(received).toMatch(/^HTTP\/1\.1 413 /)
    // Only now the rest: 2 MiB, far past what a platform would drain before closing.
    for (let i = 0; i < 16; i++) socket.write(chunk(128 * 1024))
    socket.write("0\r\n\r\n")
    received = ""
    socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !received.includes("\r\n\r\n"); )
      await pause(20)
    socket.destroy()
    expect(received).toMatch(/^HTTP\/1\.1 200 /)
  })
})

describe("headers", () => {
  it("a request line and headers past 16 KiB → 431, and the server keeps serving", async () => {
    const answer = await send("/v1/responses", json(request), {
      "content-type": "application/json",
      "x-padding": "x".repeat(20 * 1024)
    }).catch((error) => ({ status: -1, body: String(error) }))
    expect(answer.status).toBe(431)
    const long = await new Promise<number>((resolve) => {
      const url = new URL(h.url)
      httpRequest(
        { host: url.hostname, port: url.port, method: "GET", path: `/v1/models?${"q".repeat(20 * 1024)}` },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }
      )
        .on("error", () => resolve(-1))
        .end()
    })
    expect(long).toBe(431)
    expect((await send("/v1/responses", json(request))).status).toBe(200)
  })
})

describe("not JSON", () => {
  const cases: ReadonlyArray<readonly [string, string, number, string]> = [
    ["trailing bytes", '{"model":"fake-model","input":"x"} trailing', 400, "invalid_json"],
    ["two objects", '{"model":"fake-model","input":"x"}{}', 400, "invalid_json"],
    ["an empty body", "", 400, "invalid_json"],
    ["an array", "[1,2]", 400, "invalid_json"],
    ["a string", '"hello"', 400, "invalid_json"],
    ["null", "null", 400, "invalid_json"],
    ["a form", "model=fake-model&input=x", 400, "invalid_json"]
  ]
  for (const [name, text, status, code] of cases) {
    it(`${name} → ${status}`, async () => expectError(await send("/v1/responses", Buffer.from(text)), status, code))
  }

  it("bytes that are not UTF-8 → 400", async () => {
    expectError(await send("/v1/responses", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, "invalid_json")
  })

  it("a leading UTF-8 BOM is ignored", async () => {
    const answer = await send("/v1/responses", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(request)]))
    expect(answer.status).toBe(200)
    expect(outputText(answer.body)).toBe("echo: hello (messages: 1)")
  })
})

describe("max_output_tokens", () => {
  for (const value of [9_007_199_254_740_992, 2_147_483_648, 0, 1.5, -3]) {
    it(`${value} → 400 saying what the limit is`, async () => {
      const answer = await send("/v1/responses", json({ ...request, max_output_tokens: value }))
      expectError(answer, 400, "invalid_value")
      expect(answer.body.error.param).toBe("max_output_tokens")
      expect(answer.body.error.message).toContain("from 1 to 2147483647")
    })
  }
})

describe("media types", () => {
  const refused = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/json; charset=latin1",
    "text/plain; charset=iso-8859-1",
    "application/jsonx",
    "text/html"
  ]
  for (const type of refused) {
    it(`'${type}' → 415`, async () =>
      expectError(await send("/v1/responses", json(request), { "content-type": type }), 415, "unsupported_media_type"))
  }

  const accepted = [
    "application/json",
    "Application/JSON",
    "application/json; charset=utf-8",
    'application/json;charset="UTF-8"',
    "application/vnd.openai+json",
    "text/plain",
    "text/plain;charset=UTF-8"
  ]
  for (const type of accepted) {
    it(`'${type}' is read`, async () =>
      expect((await send("/v1/responses", json(request), { "content-type": type })).status).toBe(200))
  }
  it("no Content-Type is read as JSON", async () =>
    expect((await send("/v1/responses", json(request), {})).status).toBe(200))

  // From a browser, text/plain and no type are what a cross-site form or fetch sends without a CORS check.
  for (const type of ["text/plain", "text/plain;charset=UTF-8", undefined]) {
    it(`'${type ?? "no type"}' with an Origin (a browser) → 415`, async () => {
      const headers: Record<string, string> = {
        origin: "https://evil.example",
        ...(type ? { "content-type": type } : {})
      }
      expectError(await send("/v1/responses", json(request), headers), 415, "unsupported_media_type")
    })
  }
  it("application/json with an Origin is read (the browser asked CORS first)", async () => {
    expect(
      (
        await send("/v1/responses", json(request), {
          origin: "https://app.example",
          "content-type": "application/json"
        })
      ).status
    ).toBe(200)
  })
})

describe("compressed bodies", () => {
  const body = json({ model: "fake-model", input: "squeezed" })
  const withEncoding = (encoding: string) => ({ "content-type": "application/json", "content-encoding": encoding })
  const encoders: ReadonlyArray<readonly [string, (b: Buffer) => Buffer]> = [
    ["gzip", zlib.gzipSync],
    ["x-gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["deflate (raw, as some clients send it)", zlib.deflateRawSync],
    ["br", zlib.brotliCompressSync],
    ["identity", (b) => b]
  ]
  for (const [name, encode] of encoders) {
    it(`${name} is decoded`, async () => {
      const answer = await send("/v1/responses", encode(body), withEncoding(name.split(" ")[0]!))
      expect(answer.status).toBe(200)
      expect(outputText(answer.body)).toBe("echo: squeezed (messages: 1)")
    })
  }

  it("stacked codings are undone in reverse order (gzip, then br)", async () => {
    const answer = await send("/v1/responses", zlib.brotliCompressSync(zlib.gzipSync(body)), withEncoding("gzip, br"))
    expect(answer.status).toBe(200)
  })

  // Compressed by the zstd command-line tool (v1.5): one frame with its content size, one streamed (a 2 MiB window).
  const original = (() => {
    const words: Array<string> = []
    for (let i = 0; i < 3000; i++)
      words.push(`line ${i}: the quick brown fox ${i % 7 === 0 ? "jumps" : "naps"} over ${(i * 7919) % 1000} lazy dogs`)
    return { model: "fake-model", instructions: words.join("\n"), input: "zstd says hello" }
  })()
  for (const file of ["request.json.zst", "request.stream.json.zst"]) {
    it(`zstd (${file}) is decoded, every byte`, async () => {
      const before = h.upstream.requests.length
      const answer = await send(
        "/v1/responses",
        readFileSync(join(import.meta.dirname, "fixtures", file)),
        withEncoding("zstd")
      )
      expect(answer.status).toBe(200)
      expect(outputText(answer.body)).toBe("echo: zstd says hello (messages: 2)")
      expect(h.upstream.requests.slice(before).at(-1).messages[0].content).toBe(original.instructions)
    })
  }

  it("zstd on the pass-through route too", async () => {
    const chat = zstdRaw(json({ model: "fake-model", messages: [{ role: "user", content: "hi" }] }))
    const answer = await send("/v1/chat/completions", chat, withEncoding("zstd"))
    expect(answer.status).toBe(200)
    expect(answer.body.choices[0].message.content).toContain("hi")
  })

  it("a gzip bomb → 413, decoded no further than the limit", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * LIMIT, 0x20), { level: 1 })
    expect(bomb.length).toBeLessThan(LIMIT)
    expectError(await send("/v1/responses", bomb, withEncoding("gzip")), 413, "request_too_large")
  })

  it("a brotli bomb → 413", async () => {
    const bomb = zlib.brotliCompressSync(Buffer.alloc(16 * LIMIT, 0x20), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 }
    })
    expectError(await send("/v1/responses", bomb, withEncoding("br")), 413, "request_too_large")
  })

  it("a zstd bomb (RLE blocks: 8 bytes in, 128 KiB out each) → 413", async () => {
    const bomb = zstdRle(0x20, 128 * 1024, 10_000) // 1.3 GB decoded from 40 kB
    expect(bomb.length).toBeLessThan(LIMIT)
    expectError(await send("/v1/responses", bomb, withEncoding("zstd")), 413, "request_too_large")
  })

  it("a zstd frame declaring a 2 GiB window or a huge content size → 413 before any allocation", async () => {
    expectError(
      await send("/v1/responses", zstdHeaderOnly({ windowLog: 31 }), withEncoding("zstd")),
      413,
      "request_too_large"
    )
    expectError(
      await send("/v1/responses", zstdHeaderOnly({ contentSize: 2 ** 40 }), withEncoding("zstd")),
      413,
      "request_too_large"
    )
  })

  it("corrupt data → 400 naming the coding", async () => {
    expectError(
      await send("/v1/responses", Buffer.from("not gzip at all"), withEncoding("gzip")),
      400,
      "invalid_content_encoding"
    )
    expectError(
      await send("/v1/responses", Buffer.from("not zstd at all"), withEncoding("zstd")),
      400,
      "invalid_content_encoding"
    )
    expectError(
      await send(
        "/v1/responses",
        readFileSync(join(import.meta.dirname, "fixtures", "request.json.zst")).subarray(0, 2000),
        withEncoding("zstd")
      ),
      400,
      "invalid_content_encoding"
    )
  })

  for (const encoding of ["compress", "lz4", "gzip, snappy", "*"]) {
    it(`Content-Encoding '${encoding}' → 415`, async () => {
      expectError(await send("/v1/responses", body, withEncoding(encoding)), 415, "unsupported_content_encoding")
    })
  }
})

// Hand-built Zstandard frames (RFC 8878): raw and RLE blocks need no entropy coder.
const frameHeader = (options: { windowLog?: number; contentSize?: number }) => {
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
  if (options.contentSize !== undefined) {
    // Single segment, an 8-byte content size.
    const size = Buffer.alloc(8)
    size.writeBigUInt64LE(BigInt(options.contentSize))
    return Buffer.concat([magic, Buffer.from([0b1110_0000]), size])
  }
  return Buffer.concat([magic, Buffer.from([0b0000_0000, ((options.windowLog ?? 17) - 10) << 3])])
}
const blockHeader = (last: boolean, type: number, size: number) => {
  const value = (size << 3) | (type << 1) | (last ? 1 : 0)
  return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff])
}
const zstdRle = (byte: number, blockSize: number, blocks: number) =>
  Buffer.concat([
    frameHeader({ windowLog: 17 }),
    ...Array.from({ length: blocks }, (_, i) =>
      Buffer.concat([blockHeader(i === blocks - 1, 1, blockSize), Buffer.from([byte])])
    )
  ])
const zstdRaw = (data: Buffer) =>
  Buffer.concat([frameHeader({ windowLog: 17 }), blockHeader(true, 0, data.length), data])
const zstdHeaderOnly = (options: { windowLog?: number; contentSize?: number }) =>
  Buffer.concat([frameHeader(options), blockHeader(true, 0, 1), Buffer.from("{")])
