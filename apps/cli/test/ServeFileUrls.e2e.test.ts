/** `parlance serve`'s file_url flags reach the server: the default refuses loopback, `any` fetches it within
 * `--file-url-max-bytes`, and PARLANCE_FILE_URLS=off (the env form) fetches nothing. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { serveParlance } from "./spawnServe.js"

let upstream: FakeUpstream
let files: Server
let fileUrl: string
beforeAll(async () => {
  upstream = await startFakeUpstream()
  files = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("twenty bytes of text"))
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve))
  fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/notes.txt`
})
afterAll(async () => {
  await new Promise((resolve) => files.close(resolve))
  await upstream.close()
})

const ask = async (baseUrl: string) => {
  const response = await fetch(`${baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "fake-model",
      input: [{ role: "user", content: [{ type: "input_file", file_url: fileUrl }] }]
    })
  })
  return { status: response.status, message: ((await response.json()) as any).error?.message as string | undefined }
}

const withServe = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  check: (baseUrl: string) => Promise<void>
) => {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  const served = await serveParlance(["--upstream", upstream.url, ...args]).finally(() => {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v)
  })
  try {
    await check(served.baseUrl)
  } finally {
    expect(await served.stop()).toBe(0)
  }
}

describe("parlance serve --file-urls", () => {
  it("default (public): a loopback file_url → 400", () =>
    withServe([], {}, async (baseUrl) => {
      const result = await ask(baseUrl)
      expect(result.status).toBe(400)
      expect(result.message).toMatch(/not a public address/)
    }))

  it("--file-urls any: fetched, and --file-url-max-bytes holds", async () => {
    await withServe(["--file-urls", "any"], {}, async (baseUrl) => expect((await ask(baseUrl)).status).toBe(200))
    await withServe(["--file-urls", "any", "--file-url-max-bytes", "10"], {}, async (baseUrl) =>
      expect((await ask(baseUrl)).message).toMatch(/larger than the server's limit of 10 bytes/)
    )
  })

  it("PARLANCE_FILE_URLS=off: no URL is fetched", () =>
    withServe([], { PARLANCE_FILE_URLS: "off" }, async (baseUrl) =>
      expect((await ask(baseUrl)).message).toMatch(/does not fetch URLs/)
    ))
})
