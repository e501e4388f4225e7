/** `parlance serve …` as a user runs it: the real CLI spawned, ready once it prints its URL, stopped with SIGTERM. */
import { type ChildProcess, spawn } from "node:child_process"
import { bin, freePort, tempDir } from "./cliHarness.js"

export interface Served {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** `<url>/v1` */
  readonly baseUrl: string
  readonly recordDir: string
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string
  /** SIGTERM (SIGKILL after 10 s); resolves with the exit code. */
  readonly stop: () => Promise<number | null>
}

export const serveParlance = async (
  args: ReadonlyArray<string>,
  options: { readonly startTimeoutMs?: number; readonly env?: Record<string, string> } = {}
): Promise<Served> => {
  const port = await freePort()
  const recordDir = tempDir("record")
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--port",
      String(port),
      // Memory unless the test names a store (a flag given twice is an error).
      ...(args.includes("--store") ? [] : ["--store", "memory"]),
      "--record-dir",
      recordDir,
      "--drain-timeout",
      "500",
      ...args
    ],
    { env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] }
  )
  let out = ""
  child.stdout!.on("data", (d) => (out += d))
  child.stderr!.on("data", (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  // A test that times out never reaches its stop(): the server must not outlive the test process.
  const reap = () => child.kill("SIGKILL")
  process.once("exit", reap)
  void exited.then(() => process.off("exit", reap))
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000)
  while (!out.includes("parlance listening on") && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50))
  if (!out.includes("parlance listening on")) {
    child.kill("SIGKILL")
    throw new Error(`parlance serve did not start:\n${out}`)
  }
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    baseUrl: `${url}/v1`,
    recordDir,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}
