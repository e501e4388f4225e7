/**
 * Proxy overhead: a streamed response through Parlance vs the same request sent straight to the (fake, local)
 * upstream, in the same run. Prints time to first byte, total wall time, their ratios, and requests/s of small
 * non-streaming responses. Not a test: numbers, not assertions.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"

/** Each participant runs in its own process: a shared event loop would charge Parlance for the client's work. */
const children: Array<ChildProcess> = []
const launch = (...args: Array<string>) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./processes.ts", import.meta.url).pathname, ...args], { stdio: ["ignore", "pipe", "inherit"] })
    children.push(child)
    createInterface({ input: child.stdout! }).once("line", resolve)
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}`)))
  })
const upstream = { url: await launch("upstream") }
const server = { url: (await launch("parlance", upstream.url)).replace(/\/v1$/, "") }
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 500)
const RUNS = Number(process.env.BENCH_RUNS ?? 40)

const timed = async (url: string, body: unknown) => {
  const t0 = performance.now()
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  const reader = response.body!.getReader()
  let first = 0
  for (;;) {
    const { done } = await reader.read()
    if (first === 0) first = performance.now() - t0
    if (done) break
  }
  return { ttfb: first, total: performance.now() - t0 }
}
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const PACE = Number(process.env.BENCH_PACE_MS ?? 0)
const direct = { url: `${upstream.url}/chat/completions`, body: { model: `bench/${CHUNKS}/${PACE}`, messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } } }
const proxied = { url: `${server.url}/v1/responses`, body: { model: `bench/${CHUNKS}/${PACE}`, input: "hi", stream: true, store: false } }

// Warm up both paths (the JIT, connection pools) before measuring: the first hundred requests are slower.
const small = { direct: { ...direct.body, model: "bench/5" }, proxied: { ...proxied.body, model: "bench/5" } }
for (let i = 0; i < 200; i++) {
  await timed(direct.url, small.direct)
  await timed(proxied.url, small.proxied)
}
for (let i = 0; i < 5; i++) {
  await timed(direct.url, direct.body)
  await timed(proxied.url, proxied.body)
}
const d: Array<{ ttfb: number; total: number }> = []
const p: Array<{ ttfb: number; total: number }> = []
for (let i = 0; i < RUNS; i++) {
  d.push(await timed(direct.url, direct.body))
  p.push(await timed(proxied.url, proxied.body))
}
const dT = median(d.map((x) => x.ttfb)), pT = median(p.map((x) => x.ttfb))
const dW = median(d.map((x) => x.total)), pW = median(p.map((x) => x.total))

const rps = async (url: string, body: unknown, seconds = 3, concurrency = 8) => {
  let n = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      await r.arrayBuffer()
      n++
    }
  }))
  return n / seconds
}
const directRps = await rps(`${upstream.url}/chat/completions`, { model: "bench/5", messages: [{ role: "user", content: "hi" }] })
const proxiedRps = await rps(`${server.url}/v1/responses`, { model: "bench/5", input: "hi", store: false })
const storedRps = await rps(`${server.url}/v1/responses`, { model: "bench/5", input: "hi" })

console.log(`proxy overhead, ${CHUNKS}-chunk streamed response${PACE ? `, one chunk every ${PACE} ms` : ", back to back"}, median of ${RUNS} runs`)
console.table({
  "time to first byte (ms)": { direct: dT.toFixed(2), parlance: pT.toFixed(2), "added (ms)": (pT - dT).toFixed(2), ratio: (pT / dT).toFixed(3) },
  "total wall (ms)": { direct: dW.toFixed(2), parlance: pW.toFixed(2), "added (ms)": (pW - dW).toFixed(2), ratio: (pW / dW).toFixed(3) }
})
console.log("non-streaming small responses, 8 concurrent clients")
console.table({
  "requests/s": { direct: directRps.toFixed(0), "parlance store:false": proxiedRps.toFixed(0), "parlance stored (memory)": storedRps.toFixed(0), ratio: (proxiedRps / directRps).toFixed(3) }
})
for (const child of children) child.kill()
