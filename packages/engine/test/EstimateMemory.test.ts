/** `Engine.estimateMemory`: what a router checks before it loads a model on demand, read from the real GGUFs. */
import { ensureScriptedModel, ensureTinyModel } from "@parlance/tiny-model"
import { statSync } from "node:fs"
import { freemem } from "node:os"
import { expect, it } from "vitest"
import { estimateMemory } from "../src/Engine.js"

it("estimates the weights and the context, more for a bigger model and a bigger context, against free memory", async () => {
  const tiny = await ensureTinyModel()
  const scripted = await ensureScriptedModel()
  // The host's free memory moves while other processes run: bracketed by readings taken just around the call.
  const freeBefore = freemem()
  const small = await estimateMemory({ model: tiny, contextSize: 512 })
  const freeAfter = freemem()
  const bigger = await estimateMemory({ model: scripted, contextSize: 512 })
  const longer = await estimateMemory({ model: scripted, contextSize: 4096, parallel: 2 })
  // The weights are at least most of the file; the context adds to them.
  expect(small.required).toBeGreaterThan(statSync(tiny).size * 0.5)
  expect(bigger.required).toBeGreaterThan(small.required)
  expect(longer.required).toBeGreaterThan(bigger.required)
  expect(small.free).toBeGreaterThan(0)
  const near = Math.min(freeBefore, freeAfter)
  expect(Math.abs(small.free - near)).toBeLessThan(Math.max(freeBefore, freeAfter))
}, 60_000)

it("with a GPU backend, counts in RAM only what the GPU does not hold, so a GPU host is not refused a model that fits its VRAM", async () => {
  const scripted = await ensureScriptedModel()
  const cpu = await estimateMemory({ model: scripted, contextSize: 512 })
  const explicitCpu = await estimateMemory({ model: scripted, contextSize: 512, gpu: false })
  // An explicit backend is the one tried (node-llama-cpp's insights need no GPU to say what it would hold).
  const cuda = await estimateMemory({ model: scripted, contextSize: 512, gpu: "cuda" })
  expect(cpu.gpu).toBe(0)
  expect(explicitCpu).toMatchObject({ required: cpu.required, gpu: 0 })
  expect(cuda.gpu).toBeGreaterThan(0)
  expect(cuda.required).toBeLessThan(cpu.required)
  // What left RAM went to the GPU: the total stays within a context's worth of the all-in-RAM figure.
  expect(cuda.required + cuda.gpu).toBeGreaterThan(cpu.required * 0.5)
  // `auto` on this machine: a GPU only where node-llama-cpp supports one here.
  const { getLlamaGpuTypes } = await import("node-llama-cpp")
  const supported = await getLlamaGpuTypes("supported")
  const auto = await estimateMemory({ model: scripted, contextSize: 512, gpu: "auto" })
  expect(auto.gpu > 0).toBe(supported.some((gpu) => gpu !== false))
}, 60_000)
