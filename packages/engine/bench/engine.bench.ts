/**
 * Engine benchmark on the tiny model (a baseline measured in the same run, docs/conventions.md#benchmarks):
 *  1. decode tokens/s through the backend vs raw node-llama-cpp `LlamaChat` (same model file, prompt, options);
 *  2. aggregate tokens/s at 1, 2, 4, 8 concurrent streams;
 *  3. time to first token of turn 2 with KV prefix reuse vs without.
 * Run: pnpm --filter @parlance/engine bench
 */
import type { ChatCompletionRequest } from "@parlance/schema/ChatCompletions"
import { ensureTinyModel } from "@parlance/tiny-model"
import * as Source from "@parlance/schema/Source"
import * as Effect from "effect/Effect"
import { getLlama, LlamaChat, type ChatHistoryItem } from "node-llama-cpp"
import * as Os from "node:os"
import * as Engine from "../src/Engine.js"

// One thread by default: on the tiny model, llama.cpp's threads spend more time synchronising than computing
// (measured here: 1 thread ≈ 3 000 tok/s, 2 threads ≈ 70 tok/s on 2 cores), which would drown the overhead this
// bench compares. BENCH_THREADS=N measures other counts (a real model on real cores wants more).
const threads = Number(process.env.BENCH_THREADS ?? 1)
const DECODE_TOKENS = 512
const REPS = 5
/** Backend/raw pairs for decode parity (each pair back to back, order alternating): a shared 2-core machine is noisy. */
const PARITY_PAIRS = Number(process.env.BENCH_PARITY_PAIRS ?? 15)
/** `BENCH_ONLY=parity` runs section 1 only. */
const only = process.env.BENCH_ONLY
const system = "You are a helpful assistant. Answer briefly and precisely."
const user = "What is the weather in Paris today, and should I take an umbrella?"

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

interface Run {
  readonly tokens: number
  readonly ttftMs: number
  readonly decodeMs: number
  readonly totalMs: number
  readonly cached: number
}

const runBackend = (engine: Engine.EngineBackend, request: ChatCompletionRequest) =>
  Effect.gen(function* () {
    const t0 = performance.now()
    let first = 0
    let last = 0
    let tokens = 0
    let cached = 0
    // The Source as the server reads it: one `next()` per batch, no Stream or fiber per token.
    const { source, first: opened } = yield* Source.openFirst(engine.open(request))
    yield* Effect.promise(async () => {
      let batch: Source.Batch = opened
      while (batch._tag === "Chunks") {
        for (const chunk of batch.chunks) {
          const delta = chunk.choices[0]?.delta
          if (delta !== undefined && (delta.content ?? "") !== "") {
            if (first === 0) first = performance.now()
            last = performance.now()
          }
          if (chunk.usage != null) {
            tokens = chunk.usage.completion_tokens
            cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0
          }
        }
        batch = await source.next()
      }
      await source.release()
      if (batch._tag === "Failed") throw batch.error
    })
    const end = performance.now()
    return { tokens, ttftMs: first - t0, decodeMs: last - first, totalMs: end - t0, cached } satisfies Run
  })

const request = (messages: ChatCompletionRequest["messages"], max: number): ChatCompletionRequest => ({
  model: "tiny",
  messages,
  max_tokens: max,
  temperature: 0
})

const program = Effect.gen(function* () {
  const modelPath = yield* Effect.promise(ensureTinyModel)
  const rows: Array<[string, string]> = []

  // 1. decode parity: backend vs raw LlamaChat, alternating, median of REPS.
  const engine1 = yield* Engine.make({ model: modelPath, threads, parallel: 1, contextSize: 2048 })
  const llama = yield* Effect.promise(() => getLlama({ gpu: false, build: "never", maxThreads: threads }))
  const rawModel = yield* Effect.promise(() => llama.loadModel({ modelPath }))
  const rawContext = yield* Effect.promise(() => rawModel.createContext({ contextSize: 2048, sequences: 1, threads }))
  const rawChat = new LlamaChat({ contextSequence: rawContext.getSequence() })
  const history: Array<ChatHistoryItem> = [
    { type: "system", text: system },
    { type: "user", text: user }
  ]
  const runRaw = () =>
    Effect.promise(async () => {
      const t0 = performance.now()
      let first = 0
      let last = 0
      const meter = rawChat.sequence.tokenMeter.getState().usedOutputTokens
      // The sampling options the engine passes for this request (temperature 0, llama-server's top-k/top-p/min-p).
      await rawChat.generateResponse(history, {
        maxTokens: DECODE_TOKENS,
        temperature: 0,
        topK: 40,
        topP: 0.95,
        minP: 0.05,
        repeatPenalty: false,
        onTextChunk: (text) => {
          if (text === "") return
          if (first === 0) first = performance.now()
          last = performance.now()
        }
      })
      const tokens = rawChat.sequence.tokenMeter.getState().usedOutputTokens - meter
      return {
        tokens,
        ttftMs: first - t0,
        decodeMs: last - first,
        totalMs: performance.now() - t0,
        cached: 0
      } satisfies Run
    })
  const parityReq = request(
    [
      { role: "system", content: system },
      { role: "user", content: user }
    ],
    DECODE_TOKENS
  )
  for (let i = 0; i < 4; i++) {
    // warm-up: the first few runs of each context are markedly slower
    yield* runBackend(engine1, parityReq)
    yield* runRaw()
  }
  const backendRates: Array<number> = []
  const rawRates: Array<number> = []
  const backendTotal: Array<number> = []
  const rawTotal: Array<number> = []
  const pairRatios: Array<number> = []
  for (let i = 0; i < 2 * PARITY_PAIRS; i++) {
    // Alternate which side goes first, so drift on a shared machine hits both alike.
    let b: Run
    let r: Run
    if (i % 2 === 0) {
      b = yield* runBackend(engine1, parityReq)
      r = yield* runRaw()
    } else {
      r = yield* runRaw()
      b = yield* runBackend(engine1, parityReq)
    }
    backendRates.push(((b.tokens - 1) * 1000) / b.decodeMs)
    rawRates.push(((r.tokens - 1) * 1000) / r.decodeMs)
    if (b.tokens !== r.tokens) throw new Error(`backend sampled ${b.tokens} tokens, raw ${r.tokens}: not the same work`)
    pairRatios.push((b.tokens - 1) / b.decodeMs / ((r.tokens - 1) / r.decodeMs))
    backendTotal.push((b.tokens * 1000) / b.totalMs)
    rawTotal.push((r.tokens * 1000) / r.totalMs)
  }
  const backendRate = median(backendRates)
  const rawRate = median(rawRates)
  rows.push(["decode tok/s, raw LlamaChat", rawRate.toFixed(0)])
  rows.push(["decode tok/s, engine backend", backendRate.toFixed(0)])
  rows.push(["decode ratio backend/raw (target ≥ 0.97)", (backendRate / rawRate).toFixed(3)])
  rows.push([`decode ratio, median of ${pairRatios.length} back-to-back pairs`, median(pairRatios).toFixed(3)])
  rows.push([
    "end-to-end ratio backend/raw (request → last chunk)",
    (median(backendTotal) / median(rawTotal)).toFixed(3)
  ])
  if (process.env.BENCH_VERBOSE !== undefined) console.log({ backendRates, rawRates, pairRatios })
  if (only === "parity") return print(rows, threads, engine1.info.gpu)

  // 3. turn-2 TTFT with and without prefix reuse (parallel 1: an unrelated request evicts the prefix).
  const longSystem = `${system} ${"Always consider the city, the season, the temperature and the wind. ".repeat(60)}`
  const turn1 = [
    { role: "system" as const, content: longSystem },
    { role: "user" as const, content: user }
  ]
  const turn2 = (answer: string) => [
    ...turn1,
    { role: "assistant" as const, content: answer },
    { role: "user" as const, content: "And tomorrow in London?" }
  ]
  const reuse: Array<Run> = []
  const cold: Array<Run> = []
  for (let i = 0; i < REPS; i++) {
    yield* runBackend(engine1, request(turn1, 16))
    reuse.push(yield* runBackend(engine1, request(turn2("Sunny, no umbrella."), 4)))
    yield* runBackend(engine1, request([{ role: "user", content: `Unrelated ${i}` }], 2))
    cold.push(yield* runBackend(engine1, request(turn2("Sunny, no umbrella."), 4)))
    yield* runBackend(engine1, request([{ role: "user", content: `Unrelated again ${i}` }], 2))
  }
  rows.push([
    `turn-2 TTFT ms, prefix reuse (cached ${reuse[0].cached} tokens)`,
    median(reuse.map((r) => r.ttftMs)).toFixed(1)
  ])
  rows.push([
    `turn-2 TTFT ms, no reuse (cached ${cold[0].cached} tokens)`,
    median(cold.map((r) => r.ttftMs)).toFixed(1)
  ])
  yield* Effect.promise(() => rawContext.dispose())

  // 2. aggregate throughput at 1, 2, 4, 8 concurrent streams on a context with 8 sequences.
  const engine8 = yield* Engine.make({ model: modelPath, threads, parallel: 8, contextSize: 2048 })
  for (const streams of [1, 2, 4, 8]) {
    const rates: Array<number> = []
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now()
      const runs = yield* Effect.all(
        Array.from({ length: streams }, (_, i) =>
          runBackend(engine8, request([{ role: "user", content: `Stream ${i}: ${user}` }], 128))
        ),
        { concurrency: "unbounded" }
      )
      const seconds = (performance.now() - t0) / 1000
      rates.push(runs.reduce((n, r) => n + r.tokens, 0) / seconds)
    }
    rows.push([`aggregate tok/s, ${streams} concurrent stream(s)`, median(rates).toFixed(0)])
  }

  print(rows, threads, engine1.info.gpu)
})

const print = (
  rows: ReadonlyArray<readonly [string, string]>,
  threads: number,
  gpu: Engine.EngineInfo["gpu"]
): void => {
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log(`\nengine bench — tiny model, ${threads} threads, ${Os.cpus()[0]?.model ?? "cpu"}, gpu ${gpu}`)
  console.log(`${"metric".padEnd(width)} | value`)
  console.log(`${"-".repeat(width)}-|-------`)
  for (const [k, v] of rows) console.log(`${k.padEnd(width)} | ${v}`)
}

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
