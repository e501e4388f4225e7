/**
 * GPU that works or says why, tested without a GPU: the test hook `PARLANCE_ENGINE_FAULT=probe-abort:cuda` makes
 * the runner for CUDA die the way node-llama-cpp 3.22.1's prebuilt CUDA binary dies on an H200 with an R580
 * driver (the PTX error on stderr, then SIGABRT), and counts CUDA as present so that `--gpu auto` tries it.
 */
import { describe, expect, it } from "@effect/vitest"
import { ensureTinyModel } from "@parlance/tiny-model"
import OpenAI from "openai"
import { runCli } from "./cliHarness.js"
import { serveParlance } from "./spawnServe.js"

const fault = { PARLANCE_ENGINE_FAULT: "probe-abort:cuda" }

describe("a CUDA backend that dies in its probe", { timeout: 120_000 }, () => {
  it("--gpu auto falls back with one warning naming the cause, and serves on the CPU", async () => {
    const model = await ensureTinyModel()
    const served = await serveParlance(["--model", model, "--threads", "1", "--ctx-size", "2048", "--gpu", "auto"], {
      env: fault
    })
    try {
      const warnings = served
        .output()
        .split("\n")
        .filter((l) => l.includes("falling back"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(
        "engine: CUDA failed its probe (CUDA error: the provided PTX was compiled with an unsupported toolchain; signal SIGABRT); falling back to CPU"
      )
      expect(served.output()).toMatch(/engine: tiny on CPU, .*proven by a one-token decode/)
      const health = (await (await fetch(`${served.url}/health`)).json()) as Record<string, any>
      expect(health.engine).toMatchObject({ state: "ready", gpu: "CPU", restarts: 0 })
      const client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
      const response = await client.responses.create({ model: "tiny", input: "Hello", max_output_tokens: 4 })
      expect(response.usage?.output_tokens).toBe(4)
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })

  it("--gpu cuda exits non-zero with the CUDA error and what fixes it", async () => {
    const model = await ensureTinyModel()
    const result = await runCli(["serve", "--model", model, "--threads", "1", "--gpu", "cuda", "--port", "0"], {
      env: fault,
      timeoutMs: 60_000
    })
    expect(result.code).not.toBe(0)
    expect(result.signal).toBeNull()
    const output = result.stdout + result.stderr
    expect(output).toContain(
      "engine: CUDA failed its probe (CUDA error: the provided PTX was compiled with an unsupported toolchain"
    )
    expect(output).toContain("R590")
    expect(output).toContain("parlance engine build --gpu cuda")
    expect(output).not.toContain("parlance listening on")
  })
})
