/**
 * Proxy overhead, each figure against a baseline measured in the same run (numbers, not assertions):
 *   1. time to first byte and wall time of a streamed response: Parlance vs the (fake, local) upstream direct;
 *   2. CPU per streamed chunk at 64 concurrent streams: Parlance vs a minimal hand-written translator
 *      (`processes.ts baseline`: parse each chunk, write one delta event);
 *   3. requests/s of small non-streaming responses: Parlance vs the upstream direct;
 *   4. Parlance's RSS over a long run of mixed requests after warm-up (flat = no leak);
 *   5. time to first byte of a stored background stream (`background: true`: its events logged and written
 *      behind to the store) vs a `store: false` stream, on the memory and the SQLite store.
 *   6. requests/s with tracing off vs on (exporting to a local OTLP sink).
 * `BENCH_PROFILE=<dir>` runs Parlance under `node --cpu-prof` and writes the profile there;
 * `BENCH_ONLY=ttfb,cpu,rps,rss,background,tracing` runs only those sections.
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
const launch = (role: string, upstreamUrl?: string, nodeArgs: Array<string> = [], extra: Array<string> = []) =>
  new Promise<Participant>((resolve, reject) => {
    const script = new URL("./processes.ts", import.meta.url).pathname
    const child = spawn(
      process.execPath,
      ["--expose-gc", ...nodeArgs, "--import", "tsx", script, role, ...(upstreamUrl ? [upstreamUrl] : []), ...extra],
      {
        stdio: ["ignore", "pipe", "inherit", "ipc"]
      }
    )
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

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
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
interface Timing {
  readonly ttfb: number
  readonly total: number
}
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const PACE = Number(process.env.BENCH_PACE_MS ?? 0)
const chat = (model: string, stream: boolean) => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {})
})
const responses = (model: string, stream: boolean, store = false) => ({
  model,
  input: "hi",
  ...(stream ? { stream: true } : {}),
  store
})
const direct = { url: `${upstream.url}/chat/completions`, body: chat(`bench/${CHUNKS}/${PACE}`, true) }
const proxied = { url: `${parlance.url}/responses`, body: responses(`bench/${CHUNKS}/${PACE}`, true) }
const only = new Set((process.env.BENCH_ONLY ?? "ttfb,cpu,rps,rss,background,tracing").split(","))

// Warm up every path (the JIT, connection pools) before measuring: the first thousand requests are slower
// (V8 optimises the hot functions only after many calls).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000)
for (let i = 0; i < WARMUP; i++) {
  await timed(direct.url, chat("bench/5", true))
  await timed(proxied.url, responses("bench/5", true))
  await timed(`${baseline.url}/responses`, responses("bench/5", true))
}

/**
 * 1. Time to first byte and wall time of one streamed response at a time: the upstream direct, Parlance, and
 * (for scale: what one more hop costs on this machine at all) the hand-written translator.
 */
const ttfb = async () => {
  const translated = { url: `${baseline.url}/responses`, body: proxied.body }
  for (let i = 0; i < 5; i++) for (const target of [direct, proxied, translated]) await timed(target.url, target.body)
  const d: Array<{ ttfb: number; total: number }> = []
  const p: Array<{ ttfb: number; total: number }> = []
  const b: Array<{ ttfb: number; total: number }> = []
  for (let i = 0; i < RUNS; i++) {
    d.push(await timed(direct.url, direct.body))
    p.push(await timed(proxied.url, proxied.body))
    b.push(await timed(translated.url, translated.body))
  }
  const at = (xs: typeof d, key: "ttfb" | "total") => median(xs.map((x) => x[key]))
  const row = (key: "ttfb" | "total", target: string) => {
    const dT = at(d, key),
      pT = at(p, key),
      bT = at(b, key)
    return {
      direct: dT.toFixed(2),
      parlance: pT.toFixed(2),
      "added (ms)": (pT - dT).toFixed(2),
      ratio: (pT / dT).toFixed(3),
      "translator added (ms)": (bT - dT).toFixed(2),
      target
    }
  }
  return () => {
    console.log(
      `proxy overhead, ${CHUNKS}-chunk streamed response${PACE ? `, one chunk every ${PACE} ms` : ", back to back"}, median of ${RUNS} runs`
    )
    console.table({ "time to first byte (ms)": row("ttfb", "added ≤ 1 ms"), "total wall (ms)": row("total", "") })
  }
}

/** CPU the participant spent per upstream chunk while serving `STREAMS` concurrent `CHUNKS`-chunk streams. */
const cpuPerChunk = async (who: Participant) => {
  const before = await who.stats()
  await Promise.all(
    Array.from({ length: STREAMS }, () => timed(`${who.url}/responses`, responses(`bench/${CHUNKS}`, true)))
  )
  const after = await who.stats()
  return (after.cpuMicros - before.cpuMicros) / (STREAMS * CHUNKS)
}
/** 2. CPU per chunk against the hand-written translator. */
const cpu = async () => {
  const rounds = { parlance: [] as Array<number>, baseline: [] as Array<number> }
  // Alternate the two so that neither gets a quieter machine.
  for (let round = 0; round < 7; round++) {
    rounds.parlance.push(await cpuPerChunk(parlance))
    rounds.baseline.push(await cpuPerChunk(baseline))
  }
  const cpuP = median(rounds.parlance),
    cpuB = median(rounds.baseline)
  return () => {
    console.log(`proxy CPU per streamed chunk, ${STREAMS} concurrent streams × ${CHUNKS} chunks, median of 7 rounds`)
    console.table({
      "CPU µs/chunk": {
        "hand-written translator": cpuB.toFixed(2),
        parlance: cpuP.toFixed(2),
        ratio: (cpuP / cpuB).toFixed(3),
        target: "ratio ≤ 1.5"
      }
    })
  }
}

const rps = async (url: string, body: unknown, seconds = 3, concurrency = 8) => {
  let n = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await (await post(url, body)).arrayBuffer()
        n++
      }
    })
  )
  return n / seconds
}
/** 3. Requests/s of small non-streaming responses, warmed up, then in alternating rounds (the median of each). */
const nonStreaming = async () => {
  const measures = {
    direct: () => rps(`${upstream.url}/chat/completions`, chat("bench/5", false), 2),
    proxied: () => rps(`${parlance.url}/responses`, responses("bench/5", false), 2),
    stored: () => rps(`${parlance.url}/responses`, responses("bench/5", false, true), 2)
  }
  for (const measure of Object.values(measures)) await measure()
  const rounds = { direct: [] as Array<number>, proxied: [] as Array<number>, stored: [] as Array<number> }
  /** Parlance's own CPU per store:false request (user + system, the client and upstream are other processes). */
  const cpuPerRequest: Array<number> = []
  for (let round = 0; round < 3; round++) {
    rounds.direct.push(await measures.direct())
    const before = await parlance.stats()
    const proxied = await measures.proxied()
    const after = await parlance.stats()
    rounds.proxied.push(proxied)
    cpuPerRequest.push((after.cpuMicros - before.cpuMicros) / (proxied * 2))
    rounds.stored.push(await measures.stored())
  }
  const directRps = median(rounds.direct),
    proxiedRps = median(rounds.proxied),
    storedRps = median(rounds.stored)
  return () => {
    console.log("non-streaming small responses, 8 concurrent clients, median of 3 rounds")
    console.table({
      "requests/s": {
        direct: directRps.toFixed(0),
        "parlance store:false": proxiedRps.toFixed(0),
        "parlance stored (memory)": storedRps.toFixed(0),
        ratio: (proxiedRps / directRps).toFixed(3),
        target: "ratio ≥ 0.5"
      }
    })
    console.log(`Parlance CPU per store:false request: ${median(cpuPerRequest).toFixed(0)} µs (median of 3 rounds)`)
  }
}

/**
 * 4. RSS over a long run of mixed requests, on a Parlance process of its own (what earlier sections allocated
 * and freed would otherwise be returned to the system during this run and read as shrinking).
 */
const memory = async () => {
  const server = await launch("parlance", upstream.url)
  /** One of each kind of request a real client sends; stored responses are deleted again, so nothing should grow. */
  const mixed = async (i: number) => {
    switch (i % 5) {
      case 0:
        return (await post(`${server.url}/responses`, responses("bench/20", true))).arrayBuffer()
      case 1:
        return (await post(`${server.url}/responses`, responses("bench/5", false))).arrayBuffer()
      case 2: {
        const stored = (await (await post(`${server.url}/responses`, responses("bench/5", false, true))).json()) as {
          id: string
        }
        await (await fetch(`${server.url}/responses/${stored.id}`)).arrayBuffer()
        return (await fetch(`${server.url}/responses/${stored.id}`, { method: "DELETE" })).arrayBuffer()
      }
      case 3:
        return (await post(`${server.url}/chat/completions`, chat("bench/5", true))).arrayBuffer()
      default:
        return (
          await post(`${server.url}/responses`, {
            ...responses("bench/5", true),
            tools: [{ type: "function", name: "f" }]
          })
        ).arrayBuffer()
    }
  }
  const runMixed = async (count: number, concurrency = 8) => {
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await mixed(next++)
      })
    )
  }
  const WARM = Number(process.env.BENCH_MIXED_WARMUP ?? 5_000)
  await runMixed(WARM)
  const warm = await server.stats()
  const rssSamples: Array<number> = [warm.rss]
  const heapSamples: Array<number> = [warm.heapUsed]
  const t0 = performance.now()
  for (let done = 0; done < MIXED; done += MIXED / 4) {
    await runMixed(MIXED / 4)
    const sample = await server.stats()
    rssSamples.push(sample.rss)
    heapSamples.push(sample.heapUsed)
  }
  const mixedSeconds = (performance.now() - t0) / 1000
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
  const change = (samples: Array<number>) => ((samples.at(-1)! / samples[0]! - 1) * 100).toFixed(1)
  const row = (samples: Array<number>) =>
    Object.fromEntries(samples.map((r, i) => [i === 0 ? "warm" : `+${(i * MIXED) / 4}`, mb(r)]))
  return () => {
    console.log(
      `Parlance RSS after GC over ${MIXED} mixed requests (after ${WARM} to warm up), ${(MIXED / mixedSeconds).toFixed(0)} req/s`
    )
    console.table({
      "RSS (MB)": { ...row(rssSamples), "change (%)": change(rssSamples), target: "±10 %" },
      "heap used (MB)": { ...row(heapSamples), "change (%)": change(heapSamples), target: "" }
    })
  }
}

/**
 * 5. Time to first byte and wall time of a background stream (stored: record, event log written behind) vs a
 * `store: false` stream, alternating in the same run, on the memory store and on SQLite.
 */
const background = async () => {
  const sqlite = await launch("parlance-sqlite", upstream.url)
  const model = `bench/${CHUNKS}/${PACE}`
  const plain = { model, input: "hi", stream: true, store: false }
  const stored = { model, input: "hi", stream: true, store: true }
  const detached = { model, input: "hi", stream: true, background: true }
  const measure = async (who: Participant) => {
    const url = `${who.url}/responses`
    for (let i = 0; i < 20; i++) for (const body of [plain, stored, detached]) await timed(url, body)
    const runs = { plain: [] as Array<Timing>, stored: [] as Array<Timing>, detached: [] as Array<Timing> }
    for (let i = 0; i < RUNS; i++) {
      runs.plain.push(await timed(url, plain))
      runs.stored.push(await timed(url, stored))
      runs.detached.push(await timed(url, detached))
    }
    const at = (xs: Array<Timing>, key: keyof Timing) => median(xs.map((x) => x[key]))
    const row = (key: keyof Timing) => ({
      "store:false": at(runs.plain, key).toFixed(2),
      stored: at(runs.stored, key).toFixed(2),
      background: at(runs.detached, key).toFixed(2),
      "added vs store:false (ms)": (at(runs.detached, key) - at(runs.plain, key)).toFixed(2),
      "ratio vs store:false": (at(runs.detached, key) / at(runs.plain, key)).toFixed(3)
    })
    return { ttfb: row("ttfb"), total: row("total") }
  }
  const memoryStore = await measure(parlance)
  const sqliteStore = await measure(sqlite)
  return () => {
    console.log(
      `background stream (stored, events written behind) vs store:false and stored streams, ${CHUNKS} chunks, median of ${RUNS} alternating runs`
    )
    console.table({
      "TTFB (ms), memory store": memoryStore.ttfb,
      "TTFB (ms), SQLite store": sqliteStore.ttfb,
      "total wall (ms), memory store": memoryStore.total,
      "total wall (ms), SQLite store": sqliteStore.total
    })
  }
}

/**
 * 6. Tracing: the same small non-streaming requests on two more Parlance processes started alike, one without a
 * collector (tracing off: the default) and one exporting every span to a local OTLP sink — alternating rounds,
 * the ratio of each to the off one. Off, the hot path only checks a flag; on shows what the spans cost.
 */
const tracing = async () => {
  const sink = await launch("sink")
  const off = await launch("parlance", upstream.url)
  const on = await launch("parlance", upstream.url, [], ["memory", sink.url])
  const measure = (p: Participant) => rps(`${p.url}/responses`, responses("bench/5", false, true), 2)
  await measure(off)
  await measure(on)
  const rounds = { off: [] as Array<number>, on: [] as Array<number>, default: [] as Array<number> }
  for (let round = 0; round < 3; round++) {
    rounds.off.push(await measure(off))
    rounds.on.push(await measure(on))
    rounds.default.push(await measure(parlance))
  }
  const [offRps, onRps, defaultRps] = [median(rounds.off), median(rounds.on), median(rounds.default)]
  return () => {
    console.log("tracing: stored non-streaming small responses, 8 concurrent clients, median of 3 rounds")
    console.table({
      "requests/s": {
        "tracing off": offRps.toFixed(0),
        "another process, off": defaultRps.toFixed(0),
        "tracing on (OTLP sink)": onRps.toFixed(0),
        "off ratio (noise floor)": (defaultRps / offRps).toFixed(3),
        "on / off": (onRps / offRps).toFixed(3)
      }
    })
  }
}

const sections = { ttfb, cpu, rps: nonStreaming, rss: memory, background, tracing }
const reports: Array<() => void> = []
for (const [name, section] of Object.entries(sections)) if (only.has(name)) reports.push(await section())
for (const report of reports) report()
for (const child of children) child.kill()
