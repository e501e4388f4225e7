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
