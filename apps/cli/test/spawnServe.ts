/**
 * `parlance serve …` as a user runs it: the real CLI spawned (the one home of that rule, for the CLI's tests and
 * the server's). Guarantees: it resolves only once the server printed `parlance listening on` (else it throws
 * with everything printed, the child killed); stdout and stderr are captured from the start; and the child is
 * SIGKILLed when the test process exits, so a test that times out before its stop() leaves no server behind.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { bin, freePort, tempDir } from "./cliHarness.js"

export interface Spawned {
  readonly child: ChildProcess
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** `<url>/v1` */
  readonly baseUrl: string
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string
  readonly stdout: () => string
  readonly stderr: () => string
  /** SIGTERM (SIGKILL after 10 s); resolves with the exit code. */
  readonly stop: () => Promise<number | null>
  /** SIGKILL (as a crash); resolves once it is gone. */
  readonly kill: () => Promise<number | null>
}

export interface Served extends Spawned {
  readonly recordDir: string
}

export interface SpawnOptions {
  /** How long to wait for the ready line (default 90 s). */
  readonly startTimeoutMs?: number
  /** Added to the test's environment (with NO_COLOR=1). */
  readonly env?: Record<string, string>
}

/** `parlance serve --port <free port> …args`, nothing else: the CLI's own defaults (store, drain timeout). */
export const spawnParlance = async (args: ReadonlyArray<string>, options: SpawnOptions = {}): Promise<Spawned> => {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [bin, "serve", "--port", String(port), ...args], {
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let out = ""
  child.stdout!.on("data", (d) => {
    stdout += d
    out += d
  })
  child.stderr!.on("data", (d) => {
    stderr += d
    out += d
  })
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
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
    child,
    url,
    baseUrl: `${url}/v1`,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    kill: () => {
      child.kill("SIGKILL")
      return exited
    }
  }
}

/** With the test defaults: `--store memory` (unless `args` names a store), a temp `--record-dir`, `--drain-timeout 500`. */
export const serveParlance = async (args: ReadonlyArray<string>, options: SpawnOptions = {}): Promise<Served> => {
  const recordDir = tempDir("record")
  const spawned = await spawnParlance(
    [
      // A flag given twice is an error.
      ...(args.includes("--store") ? [] : ["--store", "memory"]),
      "--record-dir",
      recordDir,
      "--drain-timeout",
      "500",
      ...args
    ],
    options
  )
  return { ...spawned, recordDir }
}
