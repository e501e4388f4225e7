/**
 * The translator's runtime examples (examples/translator, the ones the README shows) run where users run them:
 * given a project directory with `@parlance/translate` installed, each example is copied into it and run under
 * Node, Deno and Bun (their binaries from the npm packages `deno` and `bun`), and the browser one is bundled by
 * esbuild (`platform: "browser"`) and opened in headless Chromium (Debian's `chromium`, driven by
 * playwright-core). Each example replays every shipped vector and prints one summary line.
 */
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { cpSync, existsSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"
import { dirname, extname, join } from "node:path"
import { chromium } from "playwright-core"

export type Runtime = "node" | "deno" | "bun" | "browser"

export interface RuntimeResult {
  readonly runtime: Runtime
  readonly ok: boolean
  /** The example's summary line (`node: 37/37 vectors replayed exactly`), or why there is none. */
  readonly summary: string
  /** Everything it printed. */
  readonly output: string
}

export interface Options {
  /** Headless Chromium; default `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
  readonly chromium?: string
  /** Per runtime. */
  readonly timeoutMs?: number
  readonly runtimes?: ReadonlyArray<Runtime>
}

/** The examples, as the README shows them. */
export const examplesDir = join(import.meta.dirname, "../../../examples/translator")
const bin = (name: string) => join(import.meta.dirname, "../node_modules/.bin", name)

const summaryOf = (output: string, runtime: Runtime) =>
  output.split("\n").find((line) => line.startsWith(`${runtime}: `)) ?? `${runtime}: no summary line`

/** Runs a command to its end (or the timeout), with everything it printed. */
const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (d) => (output += d))
    child.stderr.on("data", (d) => (output += d))
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ code: null, output: `${output}${String(error)}` })
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

const inProcess = async (runtime: Exclude<Runtime, "browser">, dir: string, timeoutMs: number) => {
  const [command, args] = {
    node: [process.execPath, ["node.mjs"]],
    deno: [bin("deno"), ["run", "--allow-read", "deno.mjs"]],
    bun: [bin("bun"), ["bun.mjs"]]
  }[runtime] as [string, Array<string>]
  const { code, output } = await run(command, args, dir, timeoutMs)
  return { runtime, ok: code === 0, summary: summaryOf(output, runtime), output }
}

const types: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".json": "application/json"
}

/** The page, its bundle and the installed package's vectors/, over loopback. */
const serve = (pageDir: string, vectorsDir: string) =>
  new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname
      const file = path.startsWith("/vectors/")
        ? join(vectorsDir, path.slice("/vectors/".length))
        : join(pageDir, path === "/" ? "index.html" : path.slice(1))
      if (file.includes("..") || !existsSync(file)) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" })
      res.end(readFileSync(file))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() })
    })
  })

const inBrowser = async (dir: string, projectDir: string, options: Options): Promise<RuntimeResult> => {
  const executablePath = options.chromium ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
  if (!existsSync(executablePath))
    return {
      runtime: "browser",
      ok: false,
      summary: `browser: no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
      output: ""
    }
  const pageDir = join(dir, "browser")
  await build({
    entryPoints: [join(pageDir, "main.mjs")],
    outfile: join(pageDir, "main.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    logLevel: "silent"
  })
  // Through the package's exports, as the page's `vectors/` would be published beside it.
  const index = createRequire(join(projectDir, "package.json")).resolve("@parlance/translate/vectors/index.json")
  const server = await serve(pageDir, dirname(index))
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] })
  const lines: Array<string> = []
  try {
    const page = await browser.newPage()
    page.on("console", (message) => lines.push(message.text()))
    page.on("pageerror", (error) => lines.push(`page error: ${error.message}`))
    await page.goto(server.url)
    await page.waitForFunction(() => document.body.dataset.result !== undefined, undefined, {
      timeout: options.timeoutMs ?? 60_000
    })
    const result = await page.evaluate(() => document.body.dataset.result)
    const output = lines.join("\n")
    return { runtime: "browser", ok: result === "pass", summary: summaryOf(output, "browser"), output }
  } catch (error) {
    const output = [...lines, String(error)].join("\n")
    return { runtime: "browser", ok: false, summary: summaryOf(output, "browser"), output }
  } finally {
    await browser.close()
    server.close()
  }
}

/**
 * Copies the examples into `projectDir` (which has `@parlance/translate` installed) and runs each; one
 * result per runtime, in order. Nothing is skipped: a runtime that cannot start is a failed result.
 */
export const checkRuntimes = async (
  projectDir: string,
  options: Options = {}
): Promise<ReadonlyArray<RuntimeResult>> => {
  const dir = join(projectDir, "parlance-examples")
  cpSync(examplesDir, dir, { recursive: true })
  const timeoutMs = options.timeoutMs ?? 60_000
  const results: Array<RuntimeResult> = []
  for (const runtime of options.runtimes ?? (["node", "deno", "bun", "browser"] as const)) {
    results.push(
      runtime === "browser" ? await inBrowser(dir, projectDir, options) : await inProcess(runtime, dir, timeoutMs)
    )
  }
  return results
}
