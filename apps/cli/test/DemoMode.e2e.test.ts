/**
 * `pnpm start` offline (`parlance serve` with no --model and no --upstream): the default model cannot be
 * downloaded, so the scripted demo model is generated into the cache directory (here a temporary one) and
 * served, the banner says so, and a newcomer's first request gets a readable answer. Skipped where Hugging Face is reachable or the default
 * model is cached (it would then load the real model, which is that machine's correct behaviour).
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { tempDir } from "./cliHarness.js"
import { serveParlance } from "./spawnServe.js"

const online = await fetch("https://huggingface.co", { method: "HEAD", signal: AbortSignal.timeout(4_000) }).then(
  () => true,
  () => false
)
const cached = existsSync(join(homedir(), ".node-llama-cpp", "models", "hf_unsloth_Qwen3-0.6B-Q4_K_M.gguf"))
if (online || cached)
  console.warn(
    `SKIPPING the offline demo test: ${online ? "huggingface.co is reachable" : "the default model is cached"}`
  )

describe.skipIf(online || cached)("parlance serve offline (pnpm start)", () => {
  it("falls back to the scripted demo model, says so, and answers readably", { timeout: 120_000 }, async () => {
    const cacheDir = tempDir("cache")
    const served = await serveParlance([], { env: { PARLANCE_CACHE_DIR: cacheDir } })
    try {
      expect(served.output()).toContain("DEMO MODE (offline): the scripted test model is loaded")
      expect(served.output()).toContain("demo-model")
      const client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
      const response = await client.responses.create({ model: "demo-model", input: "Hello" })
      expect(response.status).toBe("completed")
      expect(response.output_text).toBe("Hello! I am a small test model.")
      expect(existsSync(join(cacheDir, "demo-model.gguf"))).toBe(true)
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })
})
