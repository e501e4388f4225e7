/**
 * The packages as npm users get them (issue 18): built, packed, and installed by plain npm into fresh
 * projects, with no workspace link. The CLI runs proxy mode without the engine (node-llama-cpp is not even
 * installed) and says in one line how to add it; the translator replays every shipped vector under Node, Deno, Bun and headless Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { type FakeUpstream, startFakeUpstream } from "../../../apps/server/test/fakeUpstream.js"
import { checkRuntimes, type Runtime } from "@parlance/runtime-check"
import { buildAndPack, npmInstall, repoRoot, run } from "./packages.js"

const root = mkdtempSync(join(tmpdir(), "parlance-pack-"))
const cache = join(root, "npm-cache")
const project = (name: string) => {
  const dir = join(root, name)
  mkdirSync(dir)
  return dir
}
let tarballs: Map<string, string>

beforeAll(async () => {
  tarballs = await buildAndPack(project("tarballs"))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** `parlance <args>` from the project's node_modules/.bin, as npm linked it. */
const parlance = (dir: string, args: ReadonlyArray<string>): ChildProcess =>
  spawn(join(dir, "node_modules/.bin/parlance"), args, {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", PARLANCE_CACHE_DIR: join(dir, "cache") },
    stdio: ["ignore", "pipe", "pipe"]
  })

const runToEnd = (child: ChildProcess): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve) => {
    let output = ""
    child.stdout!.on("data", (d) => (output += d))
    child.stderr!.on("data", (d) => (output += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

describe("@parlance/cli installed from its tarball, without the engine (proxy mode)", () => {
  let dir: string
  beforeAll(async () => {
    dir = project("cli")
    const names = [
      "@parlance/cli",
      "@parlance/server",
      "@parlance/translate",
      "@parlance/schema",
      "@parlance/tiny-model"
    ]
    await npmInstall(dir, tarballs, names, cache)
  })

  it("prints its help and its package's version", async () => {
    const help = await runToEnd(parlance(dir, ["--help"]))
    expect(help.code).toBe(0)
    expect(help.output).toContain("serve")
    expect(help.output).toContain("A strict OpenAI Responses API for local LLMs")
    const { version } = JSON.parse(readFileSync(join(repoRoot, "apps/cli/package.json"), "utf8"))
    const shown = await runToEnd(parlance(dir, ["--version"]))
    expect(shown.output.trim()).toBe(`parlance v${version}`)
  })

  it("installed neither the engine nor node-llama-cpp", async () => {
    expect(existsSync(join(dir, "node_modules/node-llama-cpp"))).toBe(false)
    expect(existsSync(join(dir, "node_modules/@parlance/engine"))).toBe(false)
    expect(await run("npm", ["ls", "--all", "--parseable"], dir)).not.toContain("node-llama-cpp")
  })

  it("serves a fake Chat Completions server to the openai SDK with a strict-clean stream", async () => {
    const upstream: FakeUpstream = await startFakeUpstream()
    const server = parlance(dir, ["serve", "--port", "0", "--store", "memory", "--upstream", upstream.url])
    let output = ""
    server.stdout!.on("data", (d) => (output += d))
    server.stderr!.on("data", (d) => (output += d))
    const exited = new Promise<number | null>((resolve) => server.on("close", resolve))
    try {
      const deadline = Date.now() + 30_000
      while (!/listening on (\S+)/.test(output) && server.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      const url = /listening on (\S+)/.exec(output)?.[1]
      expect(url, output).toBeDefined()
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
      const stream = await client.responses.create({ model: "fake", input: "Hello from npm", stream: true })
      const events: Array<unknown> = []
      for await (const event of stream) events.push(event)
      // The checker as published, from the project's own install.
      const { checkStream } = await import(join(dir, "node_modules/@parlance/translate/dist/index.js"))
      expect(checkStream(events)).toEqual([])
      const done = events.at(-1) as { type: string; response: { output_text?: string; output: Array<any> } }
      expect(done.type).toBe("response.completed")
      expect(done.response.output[0].content[0].text).toContain("echo: Hello from npm")
    } finally {
      server.kill("SIGTERM")
      expect(await exited).toBe(0)
      await upstream.close()
    }
  })

  for (const args of [["serve", "--model", "x"], ["serve"]])
    it(`'parlance ${args.join(" ")}' says in one line how to install the engine, and exits 1`, async () => {
      const { code, output } = await runToEnd(parlance(dir, [...args, "--port", "0", "--store", "memory"]))
      expect(code).toBe(1)
      expect(output.trim().split("\n")).toEqual([expect.stringContaining("npm install -g @parlance/engine")])
    })
})

describe("@parlance/translate installed from its tarball, in Node, Deno, Bun and a browser", () => {
  let dir: string
  beforeAll(async () => {
    dir = project("translate")
    await npmInstall(dir, tarballs, ["@parlance/translate", "@parlance/schema"], cache)
  })

  // The README's examples (examples/translator), each replaying every vector the package ships: plain Node ESM,
  // Deno and Bun (their npm packages), and the browser (esbuild, platform browser, headless Chromium).
  for (const runtime of ["node", "deno", "bun", "browser"] as ReadonlyArray<Runtime>)
    it(`replays every shipped vector exactly under ${runtime}`, async () => {
      const [result] = await checkRuntimes(dir, { runtimes: [runtime] })
      expect(result.ok, result.output).toBe(true)
      expect(result.summary).toMatch(new RegExp(`^${runtime}: (\\d+)/\\1 vectors replayed exactly$`))
    }, 120_000)
})
