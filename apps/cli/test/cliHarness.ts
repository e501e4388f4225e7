/** Drives `parlance` as a user would (a spawned process, real stdin/stdout) against real servers over loopback. */
import { Server, Upstream } from "@parlance/server"
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"

export const bin = join(import.meta.dirname, "../bin/parlance.mjs")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Run `parlance <args>` to completion, feeding `input` on stdin (then EOF). */
export const runCli = (
  args: ReadonlyArray<string>,
  options: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.end(options.input ?? "")
  })

export interface Parlance {
  readonly upstream: FakeUpstream
  readonly server: Server.RunningServer
  /** `<server>/v1` */
  readonly baseUrl: string
  readonly recordDir: string
  readonly close: () => Promise<void>
}

/** Our real server (proxy mode) in front of the fake Chat Completions upstream, recording every request. */
export const startParlance = async (): Promise<Parlance> => {
  const upstream = await startFakeUpstream()
  const recordDir = mkdtempSync(join(tmpdir(), "parlance-cli-record-"))
  const server = await Server.start({
    backend: Upstream.make({ baseUrl: upstream.url }),
    port: 0,
    store: "memory",
    recordDir
  })
  return {
    upstream,
    server,
    baseUrl: `${server.url}/v1`,
    recordDir,
    close: async () => {
      await server.close()
      await upstream.close()
    }
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `parlance-cli-${prefix}-`))
