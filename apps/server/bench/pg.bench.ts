/**
 * The PostgreSQL store's cost, each figure against a baseline measured in the same run (numbers, not assertions):
 *   1. time to first byte of a streamed response on the PostgreSQL store: stored vs `store: false` (nothing is
 *      read or written before the first event, so the difference should be noise, ≤ 1 ms);
 *   2. requests/s of small stored (non-streaming) responses: PostgreSQL vs SQLite, and `store: false` for scale.
 * A throwaway PostgreSQL cluster (test/pgCluster.ts), the fake upstream and each Parlance in its own process.
 * `BENCH_RUNS` (ttfb samples, default 200), `BENCH_RPS_REQUESTS` (default 3000), `BENCH_CONCURRENCY` (16).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { startCluster } from "../test/pgCluster.js"

const RUNS = Number(process.env.BENCH_RUNS ?? 200)
const REQUESTS = Number(process.env.BENCH_RPS_REQUESTS ?? 3_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)

const children: Array<ChildProcess> = []
const launch = (args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) => {
    const script = new URL("./processes.ts", import.meta.url).pathname
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    children.push(child)
    createInterface({ input: child.stdout! }).once("line", resolve)
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}`)))
  })

const pg = await startCluster()
try {
  const upstream = await launch(["upstream"])
  const onPg = await launch(["parlance", upstream, pg.url])
  const onSqlite = await launch(["parlance", upstream, `sqlite:${mkdtempSync(join(tmpdir(), "parlance-bench-"))}`])

  const post = (url: string, body: unknown) =>
    fetch(`${url}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
  const ttfb = async (url: string, store: boolean) => {
    const t0 = performance.now()
    const response = await post(url, { model: "bench/20", input: "hi", stream: true, store })
    const reader = response.body!.getReader()
    let first = 0
    for (;;) {
      const { done } = await reader.read()
      if (first === 0) first = performance.now() - t0
      if (done) break
    }
    return first
  }
  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const p90 = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!

  // Warm-up: the JIT, both pools, prepared statements.
  for (let i = 0; i < 300; i++) {
    await ttfb(onPg, i % 2 === 0)
    await post(onSqlite, { model: "bench/5", input: "hi" }).then((r) => r.text())
  }

  // 1. Interleaved, so drift on a shared machine hits both sides alike.
  const stored: Array<number> = []
  const unstored: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    stored.push(await ttfb(onPg, true))
    unstored.push(await ttfb(onPg, false))
  }
  console.log("\n1. time to first byte on PostgreSQL, ms (median / p90)")
  console.table({
    "store: true": { median: median(stored).toFixed(3), p90: p90(stored).toFixed(3) },
    "store: false": { median: median(unstored).toFixed(3), p90: p90(unstored).toFixed(3) },
    "added by storing": {
      median: (median(stored) - median(unstored)).toFixed(3),
      p90: (p90(stored) - p90(unstored)).toFixed(3)
    }
  })

  // 2. Small non-streaming responses, CONCURRENCY at a time.
  const rps = async (url: string, store: boolean) => {
    let next = 0
    let failed = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < REQUESTS) {
          const response = await post(url, { model: "bench/5", input: "hi", store })
          const body = (await response.json()) as { status?: string }
          if (response.status !== 200 || body.status !== "completed") failed++
        }
      })
    )
    return { "requests/s": (REQUESTS / ((performance.now() - t0) / 1000)).toFixed(0), failed }
  }
  console.log(`\n2. small responses, ${REQUESTS} requests, ${CONCURRENCY} concurrent`)
  console.table({
    "PostgreSQL, stored": await rps(onPg, true),
    "SQLite, stored": await rps(onSqlite, true),
    "PostgreSQL, store: false": await rps(onPg, false),
    "SQLite, store: false": await rps(onSqlite, false)
  })
} finally {
  for (const child of children) child.kill("SIGTERM")
  pg.destroy()
}
