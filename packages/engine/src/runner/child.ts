/**
 * One runner process seen from the server: forked, started with its options, read until it reports ready or
 * failed (or dies), then a message pipe. Its stderr is passed through and its last lines kept: when it dies
 * they say why (llama.cpp prints the cause, then aborts).
 */
import { type ChildProcess, fork } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import type { Death } from "./gpu.js"
import type { FromRunner, RunnerOptions, ToRunner } from "./protocol.js"

/** The runner's entry beside this module, with this module's extension: `.ts` from sources, `.js` built. */
const hostPath = (): string => {
  const ext = Path.extname(fileURLToPath(import.meta.url))
  return fileURLToPath(new URL(`./host${ext}`, import.meta.url))
}

/** Sources need tsx's loader in the runner too. */
const execArgv = (entry: string): Array<string> => {
  if (!entry.endsWith(".ts")) return []
  let tsx = "tsx"
  try {
    tsx = import.meta.resolve("tsx")
  } catch {
    // resolved by node from the working directory instead
  }
  return ["--import", tsx]
}

export type Outcome =
  | Extract<FromRunner, { t: "ready" }>
  | Extract<FromRunner, { t: "failed" }>
  | { readonly t: "died"; readonly death: Death }

export interface Runner {
  readonly pid: number | undefined
  /** Ready, failed, or died before either. */
  readonly started: Promise<Outcome>
  /** How it ended; resolves once it has. */
  readonly exited: Promise<Death>
  readonly send: (message: ToRunner) => void
  /** Disconnect (the runner closes the model and exits); SIGKILL after `graceMs`. */
  readonly stop: (graceMs?: number) => Promise<void>
}

// Enough for the cause before a native backtrace (llama.cpp prints the error, then dozens of frames).
const STDERR_LINES = 200

export const startRunner = (params: {
  readonly options: RunnerOptions
  readonly env: NodeJS.ProcessEnv
  readonly onMessage: (message: FromRunner) => void
  readonly onProgress?: ((fraction: number) => void) | undefined
}): Runner => {
  const entry = hostPath()
  const child: ChildProcess = fork(entry, [], {
    env: params.env,
    execArgv: execArgv(entry),
    stdio: ["ignore", "inherit", "pipe", "ipc"],
    serialization: "json"
  })
  const tail: Array<string> = []
  let partial = ""
  child.stderr!.on("data", (data: Buffer) => {
    process.stderr.write(data)
    const lines = (partial + data.toString("utf8")).split("\n")
    partial = lines.pop() ?? ""
    tail.push(...lines.filter((l) => l.trim() !== ""))
    if (tail.length > STDERR_LINES) tail.splice(0, tail.length - STDERR_LINES)
  })
  let settle: (outcome: Outcome) => void = () => {}
  const started = new Promise<Outcome>((resolve) => (settle = resolve))
  let isStarted = false
  const exited = new Promise<Death>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      const death: Death = { code, signal, stderr: partial.trim() === "" ? [...tail] : [...tail, partial] }
      if (!isStarted) settle({ t: "died", death })
      resolve(death)
    }
    child.once("exit", done)
    child.once("error", (error) => {
      tail.push(String(error))
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) done(null, null)
    })
  })
  child.on("message", (raw) => {
    const message = raw as FromRunner
    if (message.t === "progress") params.onProgress?.(message.fraction)
    else if (message.t === "ready" || message.t === "failed") {
      isStarted = true
      settle(message)
    } else params.onMessage(message)
  })
  child.send({ t: "start", options: params.options } satisfies ToRunner)
  return {
    pid: child.pid,
    started,
    exited,
    send: (message) => {
      if (child.connected) child.send(message)
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
    }
  }
}
