import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
const mode = process.argv[2] ?? "ns"
const launch = (args: string[]) => new Promise<{ url: string; child: any; cpu: () => Promise<number> }>((resolve) => {
  const c = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit", "ipc"] })
  createInterface({ input: c.stdout! }).once("line", (url) => resolve({ url, child: c, cpu: () => new Promise((d) => { c.once("message", (m: any) => d(m.cpuMicros)); c.send("stats") }) }))
})
const up = await launch(["--import", "tsx", "bench/processes.ts", "upstream"])
const prof = process.env.PROF
const p = await launch([...(prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : []), "--import", "tsx", "bench/processes.ts", "parlance", up.url])
const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
const body = mode === "ns" ? { model: "bench/5", input: "hi", store: false } : { model: "bench/500", input: "hi", stream: true, store: false }
const run = async (seconds: number, conc: number) => { let n = 0; const end = performance.now() + seconds * 1000; await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() < end) { await (await post(p.url + "/responses", body)).arrayBuffer(); n++ } })); return n }
await run(2, 8)
const c0 = await p.cpu(); const n = await run(Number(process.env.SECS ?? 4), Number(process.env.CONC ?? (mode === "ns" ? 8 : 16))); const c1 = await p.cpu()
console.log(mode, n, "requests", ((c1 - c0) / n).toFixed(0), "µs CPU/req", mode === "ns" ? "" : ((c1 - c0) / n / 500).toFixed(2) + " µs/chunk")
p.child.kill("SIGTERM"); up.child.kill()
await new Promise((r) => setTimeout(r, 1500))
process.exit(0)
