/**
 * Proxy overhead, each figure against a baseline measured in the same run (numbers, not assertions):
 *   1. time to first byte and wall time of a streamed response: Parlance vs the (fake, local) upstream direct;
 *   2. CPU per streamed chunk at 64 concurrent streams: Parlance vs a minimal hand-written translator
 *      (`processes.ts baseline`: parse each chunk, write one delta event);
 *   3. requests/s of small non-streaming responses: Parlance vs the upstream direct;
 *   4. Parlance's RSS over a long run of mixed requests after warm-up (flat = no leak).
 * `BENCH_PROFILE=<dir>` runs Parlance under `node --cpu-prof` and writes the profile there.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"

interface Stats {
  readonly cpuMicros: number
  readonly rss: number
  readonly heapUsed: number
}
interface Participant {
  readonly url: string
  readonly stats: () => Promise<Stats>
}

/** Each participant runs in its own process: a shared event loop would charge Parlance for the client's work. */
const children: Array<ChildProcess> = []
const launch = (role: string, upstreamUrl?: string, nodeArgs: Array<string> = []) =>
  new Promise<Participant>((resolve, reject) => {
    const script = new URL("./processes.ts", import.meta.url).pathname
    const child = spawn(process.execPath, ["--expose-gc", ...nodeArgs, "--import", "tsx", script, role, ...(upstreamUrl ? [upstreamUrl] : [])], {
      stdio: ["ignore", "pipe", "inherit", "ipc"]
    })
    children.push(child)
    const stats = () =>
      new Promise<Stats>((done) => {
        child.once("message", (m) => done(m as Stats))
        child.send("stats")
      })
    createInterface({ input: child.stdout! }).once("line", (url) => resolve({ url, stats }))
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)))
  })
const profile = process.env.BENCH_PROFILE
const upstream = await launch("upstream")
const parlance = await launch("parlance", upstream.url, profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [])
const baseline = await launch("baseline", upstream.url)
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 500)
const RUNS = Number(process.env.BENCH_RUNS ?? 40)
const STREAMS = Number(process.env.BENCH_STREAMS ?? 64)
const MIXED = Number(process.env.BENCH_MIXED ?? 20_000)

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
const timed = async (url: string, body: unknown) => {
  const t0 = performance.now()
  const response = await post(url, body)
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
const chat = (model: string, stream: boolean) => ({ model, messages: [{ role: "user", content: "hi" }], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) })
const responses = (model: string, stream: boolean, store = false) => ({ model, input: "hi", ...(stream ? { stream: true } : {}), store })
const direct = { url: `${upstream.url}/chat/completions`, body: chat(`bench/${CHUNKS}/${PACE}`, true) }
const proxied = { url: `${parlance.url}/responses`, body: responses(`bench/${CHUNKS}/${PACE}`, true) }

// Warm up every path (the JIT, connection pools) before measuring: the first hundred requests are slower.
for (let i = 0; i < 200; i++) {
  await timed(direct.url, chat("bench/5", true))
  await timed(proxied.url, responses("bench/5", true))
  await timed(`${baseline.url}/responses`, responses("bench/5", true))
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

/** CPU the participant spent per upstream chunk while serving `STREAMS` concurrent `CHUNKS`-chunk streams. */
const cpuPerChunk = async (who: Participant) => {
  const before = await who.stats()
  await Promise.all(Array.from({ length: STREAMS }, () => timed(`${who.url}/responses`, responses(`bench/${CHUNKS}`, true))))
  const after = await who.stats()
  return (after.cpuMicros - before.cpuMicros) / (STREAMS * CHUNKS)
}
const cpu = { parlance: [] as Array<number>, baseline: [] as Array<number> }
// Alternate the two so that neither gets a quieter machine.
for (let round = 0; round < 7; round++) {
  cpu.parlance.push(await cpuPerChunk(parlance))
  cpu.baseline.push(await cpuPerChunk(baseline))
}
const cpuP = median(cpu.parlance), cpuB = median(cpu.baseline)

const rps = async (url: string, body: unknown, seconds = 3, concurrency = 8) => {
  let n = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await (await post(url, body)).arrayBuffer()
      n++
    }
  }))
  return n / seconds
}
const directRps = await rps(`${upstream.url}/chat/completions`, chat("bench/5", false))
const proxiedRps = await rps(`${parlance.url}/responses`, responses("bench/5", false))
const storedRps = await rps(`${parlance.url}/responses`, responses("bench/5", false, true))

/** One of each kind of request a real client sends; stored responses are deleted again, so nothing should grow. */
const mixed = async (i: number) => {
  switch (i % 5) {
    case 0:
      return (await post(`${parlance.url}/responses`, responses("bench/20", true))).arrayBuffer()
    case 1:
      return (await post(`${parlance.url}/responses`, responses("bench/5", false))).arrayBuffer()
    case 2: {
      const stored = (await (await post(`${parlance.url}/responses`, responses("bench/5", false, true))).json()) as { id: string }
      await (await fetch(`${parlance.url}/responses/${stored.id}`)).arrayBuffer()
      return (await fetch(`${parlance.url}/responses/${stored.id}`, { method: "DELETE" })).arrayBuffer()
    }
    case 3:
      return (await post(`${parlance.url}/chat/completions`, chat("bench/5", true))).arrayBuffer()
    default:
      return (await post(`${parlance.url}/responses`, { ...responses("bench/5", true), tools: [{ type: "function", name: "f" }] })).arrayBuffer()
  }
}
const runMixed = async (count: number, concurrency = 8) => {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await mixed(next++)
  }))
}
await runMixed(2_000)
const rssSamples: Array<number> = [(await parlance.stats()).rss]
const t0 = performance.now()
for (let done = 0; done < MIXED; done += MIXED / 4) {
  await runMixed(MIXED / 4)
  rssSamples.push((await parlance.stats()).rss)
}
const mixedSeconds = (performance.now() - t0) / 1000
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const rssChange = (rssSamples.at(-1)! / rssSamples[0]! - 1) * 100

console.log(`proxy overhead, ${CHUNKS}-chunk streamed response${PACE ? `, one chunk every ${PACE} ms` : ", back to back"}, median of ${RUNS} runs`)
console.table({
  "time to first byte (ms)": { direct: dT.toFixed(2), parlance: pT.toFixed(2), "added (ms)": (pT - dT).toFixed(2), ratio: (pT / dT).toFixed(3), target: "added ≤ 1 ms" },
  "total wall (ms)": { direct: dW.toFixed(2), parlance: pW.toFixed(2), "added (ms)": (pW - dW).toFixed(2), ratio: (pW / dW).toFixed(3), target: "" }
})
console.log(`proxy CPU per streamed chunk, ${STREAMS} concurrent streams × ${CHUNKS} chunks, median of 7 rounds`)
console.table({
  "CPU µs/chunk": { "hand-written translator": cpuB.toFixed(2), parlance: cpuP.toFixed(2), ratio: (cpuP / cpuB).toFixed(3), target: "ratio ≤ 1.5" }
})
console.log("non-streaming small responses, 8 concurrent clients")
console.table({
  "requests/s": { direct: directRps.toFixed(0), "parlance store:false": proxiedRps.toFixed(0), "parlance stored (memory)": storedRps.toFixed(0), ratio: (proxiedRps / directRps).toFixed(3), target: "ratio ≥ 0.5" }
})
console.log(`Parlance RSS after GC over ${MIXED} mixed requests (after 2000 to warm up), ${(MIXED / mixedSeconds).toFixed(0)} req/s`)
console.table({
  "RSS (MB)": { ...Object.fromEntries(rssSamples.map((r, i) => [i === 0 ? "warm" : `+${(i * MIXED) / 4}`, mb(r)])), "change (%)": rssChange.toFixed(1), target: "±10 %" }
})
for (const child of children) child.kill()
