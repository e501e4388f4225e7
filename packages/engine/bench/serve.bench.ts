/**
 * Parlance ÷ raw node-llama-cpp, end to end (issue 19): decode tok/s and time to first token through the real
 * server (`parlance serve`, the engine in its runner process, SSE over loopback HTTP) against
 * `LlamaChat.generateResponse` in this process, same model, same sampling, same run, alternating.
 * 1 stream (`--parallel 1`) and 8 streams (`--parallel 8`, aggregate tok/s); the tiny model on 1 CPU thread.
 * Run: pnpm --filter @parlance/engine bench:serve   (BENCH_TOKENS, BENCH_REPS, BENCH_WARMUP, BENCH_THREADS)
 */
import { ensureTinyModel } from "@parlance/tiny-model"
import { getLlama, LlamaChat } from "node-llama-cpp"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const threads = Number(process.env.BENCH_THREADS ?? 1)
const tokens = Number(process.env.BENCH_TOKENS ?? 256)
const reps = Number(process.env.BENCH_REPS ?? 5)
const warmup = Number(process.env.BENCH_WARMUP ?? 2)
const bin = fileURLToPath(new URL("../../../apps/cli/bin/parlance.mjs", import.meta.url))
const prompt = "Write a long story about a lighthouse keeper."
const now = () => performance.now()
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface One {
  readonly start: number
  readonly first: number
  readonly end: number
  readonly n: number
}
interface Run {
  readonly ttftMs: number
  readonly aggTokS: number
}
const summarize = (ones: ReadonlyArray<One>): Run => {
  const start = Math.min(...ones.map((o) => o.start))
  const end = Math.max(...ones.map((o) => o.end))
  return {
    ttftMs: ones.reduce((a, o) => a + (o.first - o.start), 0) / ones.length,
    aggTokS: ones.reduce((a, o) => a + o.n, 0) / ((end - start) / 1000)
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const serve = async (model: string, parallel: number): Promise<{ url: string; child: ChildProcess }> => {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--model",
      model,
      "--threads",
      String(threads),
      "--parallel",
      String(parallel),
      "--ctx-size",
      "2048"
    ].concat(["--port", String(port), "--store", "memory", "--gpu", "cpu"]),
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } }
  )
  let out = ""
  child.stdout!.on("data", (d) => (out += d))
  while (!out.includes("parlance listening on")) {
    if (child.exitCode !== null) throw new Error(`serve exited:\n${out}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url: `http://127.0.0.1:${port}`, child }
}

/** One streamed /v1/responses; tokens = usage.output_tokens, first = first output_text.delta. */
const viaServer = async (url: string, i: number): Promise<One> => {
  const start = now()
  let first = 0
  let n = 0
  const res = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "tiny",
      input: `${prompt} (${i})`,
      stream: true,
      store: false,
      max_output_tokens: tokens,
      temperature: 0.8,
      top_p: 0.95
    })
  })
  const decoder = new TextDecoder()
  let buffer = ""
  for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true })
    if (first === 0 && buffer.includes("response.output_text.delta")) first = now()
  }
  const end = now()
  const done = buffer.lastIndexOf('"usage":')
  n = done < 0 ? 0 : Number(/"output_tokens":(\d+)/.exec(buffer.slice(done))?.[1] ?? 0)
  return { start, first, end, n }
}

const main = async () => {
  const modelPath = await ensureTinyModel()
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, progressLogs: false })
  const model = await llama.loadModel({ modelPath })
  const rows: Array<string> = []
  for (const streams of [1, 8]) {
    const context = await model.createContext({ sequences: streams, contextSize: 2048, threads })
    const chats = Array.from({ length: streams }, () => new LlamaChat({ contextSequence: context.getSequence() }))
    const viaRaw = async (i: number): Promise<One> => {
      const start = now()
      let first = 0
      let n = 0
      await chats[i]!.generateResponse(
        [
          { type: "user", text: `${prompt} (${i})` },
          { type: "model", response: [] }
        ],
        {
          maxTokens: tokens,
          temperature: 0.8,
          topP: 0.95,
          topK: 40,
          minP: 0.05,
          repeatPenalty: false,
          onResponseChunk: (chunk) => {
            n += chunk.tokens.length
            if (first === 0) first = now()
          }
        }
      )
      const end = now()
      await chats[i]!.sequence.clearHistory()
      return { start, first, end, n }
    }
    const server = await serve(modelPath, streams)
    const raw: Array<Run> = []
    const parlance: Array<Run> = []
    for (let r = 0; r < warmup + reps; r++) {
      // Alternate which goes first; the first `warmup` rounds warm both up (the server's JIT takes a few).
      const runRaw = async () => summarize(await Promise.all(chats.map((_, i) => viaRaw(i))))
      const runServer = async () => summarize(await Promise.all(chats.map((_, i) => viaServer(server.url, i))))
      let a: Run
      let b: Run
      if (r % 2 === 0) {
        a = await runRaw()
        b = await runServer()
      } else {
        b = await runServer()
        a = await runRaw()
      }
      if (r >= warmup) {
        raw.push(a)
        parlance.push(b)
      }
    }
    server.child.kill("SIGTERM")
    await new Promise((r) => server.child.once("exit", r))
    chats.forEach((c) => c.dispose())
    await context.dispose()
    const rawTokS = median(raw.map((x) => x.aggTokS))
    const parTokS = median(parlance.map((x) => x.aggTokS))
    const rawTtft = median(raw.map((x) => x.ttftMs))
    const parTtft = median(parlance.map((x) => x.ttftMs))
    rows.push(
      `${streams} stream${streams > 1 ? "s" : " "} | raw ${rawTokS.toFixed(0).padStart(5)} tok/s | Parlance ${parTokS.toFixed(0).padStart(5)} tok/s | ` +
        `ratio ${(parTokS / rawTokS).toFixed(3)} | TTFT raw ${rawTtft.toFixed(1)} ms, Parlance ${parTtft.toFixed(1)} ms, added ${(parTtft - rawTtft).toFixed(1)} ms`
    )
  }
  await model.dispose()
  await llama.dispose()
  console.log(
    `\nParlance (serve, runner process, HTTP SSE) ÷ raw LlamaChat: tiny model, ${threads} thread(s), ${tokens} tokens per stream, median of ${reps}`
  )
  for (const row of rows) console.log(row)
}

await main()
