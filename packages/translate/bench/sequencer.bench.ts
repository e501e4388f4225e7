/**
 * Throughput of the streaming hot path, per upstream chunk:
 *   `ChunkDecode.fromData(data)` → `Sequencer.step` → `Sse.encodeEvent` for every event,
 * against a baseline measured in the same run: `JSON.parse` of the chunk + `JSON.stringify` of one
 * event-sized object (the least any translating proxy must do). Target: ours/baseline ≤ 1.5×.
 *
 *   pnpm --filter @parlance/translate bench
 */
import * as ChunkDecode from "../src/ChunkDecode.js"
import * as Ids from "../src/Ids.js"
import * as Sequencer from "../src/Sequencer.js"
import * as Sse from "../src/Sse.js"

// ---------------------------------------------------------------- realistic streams (llama-server shapes)

const envelope = (choice: string) =>
  `{"choices":[${choice}],"created":1758000000,"id":"chatcmpl-mQ7t2Zb8Yx1kLp","model":"qwen3-30b-a3b-instruct","system_fingerprint":"b6500-abcdef12","object":"chat.completion.chunk"}`
const delta = (d: Record<string, unknown>, finish: string | null = null) =>
  envelope(`{"finish_reason":${JSON.stringify(finish)},"index":0,"delta":${JSON.stringify(d)}}`)
const usage = (prompt: number, completion: number) =>
  `{"choices":[],"created":1758000000,"id":"chatcmpl-mQ7t2Zb8Yx1kLp","model":"qwen3-30b-a3b-instruct","system_fingerprint":"b6500-abcdef12","object":"chat.completion.chunk","usage":{"completion_tokens":${completion},"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"prompt_tokens_details":{"cached_tokens":${prompt - 12}}},"timings":{"cache_n":${prompt - 12},"prompt_n":12,"prompt_ms":31.4,"predicted_n":${completion},"predicted_ms":${completion * 11.2}}}`

const words =
  'The quick brown fox jumps over the lazy dog while the compiler , 日本語 🎉 " quoted \\ and\nnew lines'.split(" ")
const token = (i: number) => (i % 7 === 0 ? " " : "") + words[i % words.length]! + (i % 13 === 0 ? "." : " ")

const textStream: ReadonlyArray<string> = [
  delta({ role: "assistant", content: null }),
  ...Array.from({ length: 2000 }, (_, i) => delta({ content: token(i) })),
  delta({}, "stop"),
  usage(812, 2000),
  "[DONE]"
]

const argTokens = (n: number, key: string) => [
  `{"${key}":"`,
  ...Array.from({ length: n }, (_, i) => token(i).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")),
  `"}`
]
const toolStream: ReadonlyArray<string> = [
  delta({ role: "assistant", content: null }),
  ...Array.from({ length: 300 }, (_, i) => delta({ reasoning_content: token(i) })),
  delta({
    tool_calls: [{ index: 0, id: "GQ7dYb3mX2", type: "function", function: { name: "apply_patch", arguments: "" } }]
  }),
  ...argTokens(800, "input").map((a) => delta({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
  delta({ tool_calls: [{ index: 1, id: "k2Pq9Zr1Ty", type: "function", function: { name: "shell", arguments: "" } }] }),
  ...argTokens(400, "command").map((a) => delta({ tool_calls: [{ index: 1, function: { arguments: a } }] })),
  delta({}, "tool_calls"),
  usage(5120, 1508),
  "[DONE]"
]

// ---------------------------------------------------------------- the two paths

const context = (): Sequencer.Context => ({
  responseId: "resp_bench",
  createdAt: 1_758_000_000,
  clock: () => 1_758_000_001,
  model: "qwen3-30b-a3b-instruct",
  ids: Ids.counter()
})

/** Ours: decode → step → encode every event. Returns the bytes written (keeps the work observable). */
const ours = (stream: ReadonlyArray<string>): number => {
  let state = Sequencer.initial(context())
  let written = 0
  for (const data of stream) {
    const [next, events] = Sequencer.step(state, ChunkDecode.fromData(data))
    state = next
    for (const event of events) written += Sse.encodeEvent(event).length
  }
  return written
}

/** Baseline: parse each chunk, stringify one event-sized object per chunk. */
const baseline = (stream: ReadonlyArray<string>): number => {
  let written = 0
  let seq = 0
  for (const data of stream) {
    const parsed: unknown = data === "[DONE]" ? null : JSON.parse(data)
    const choice = (parsed as { choices?: Array<{ delta?: { content?: string } }> } | null)?.choices?.[0]
    written += `event: response.output_text.delta\ndata: ${JSON.stringify({
      type: "response.output_text.delta",
      item_id: "msg_0001",
      output_index: 0,
      content_index: 0,
      delta: choice?.delta?.content ?? "",
      logprobs: [],
      sequence_number: seq++
    })}\n\n`.length
  }
  return written
}

// ---------------------------------------------------------------- measurement

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

let sink = 0
const measure = (f: (s: ReadonlyArray<string>) => number, stream: ReadonlyArray<string>, reps: number): number => {
  const samples: Array<number> = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    sink += f(stream)
    samples.push(performance.now() - t0)
  }
  return median(samples)
}

const rows: Array<Record<string, string>> = []
const warmup = 60
const reps = 41
for (const [name, stream] of [
  ["text (2000 content chunks)", textStream],
  ["tool calls (300 reasoning + 1208 args chunks)", toolStream]
] as const) {
  // Interleave the two paths' warm-up and measurement so neither gets a warmer JIT or quieter machine.
  for (let i = 0; i < warmup; i++) sink += ours(stream) + baseline(stream)
  const oursMs: Array<number> = []
  const baseMs: Array<number> = []
  for (let round = 0; round < 5; round++) {
    oursMs.push(measure(ours, stream, reps))
    baseMs.push(measure(baseline, stream, reps))
  }
  const o = median(oursMs)
  const b = median(baseMs)
  rows.push({
    stream: name,
    chunks: String(stream.length),
    "ours chunks/s": Math.round(stream.length / (o / 1000)).toLocaleString("en-US"),
    "baseline chunks/s": Math.round(stream.length / (b / 1000)).toLocaleString("en-US"),
    "ours ms/stream": o.toFixed(3),
    "baseline ms/stream": b.toFixed(3),
    "ratio (ours/baseline)": `${(o / b).toFixed(2)}×`
  })
}
console.table(rows)
const worst = Math.max(...rows.map((r) => Number.parseFloat(r["ratio (ours/baseline)"]!)))
console.log(
  `worst ratio ${worst.toFixed(2)}× (target ≤ 1.50×)${worst <= 1.5 ? "" : "  ← above target"}  [sink ${sink % 10}]`
)
