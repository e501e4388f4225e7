/**
 * `parlance engine build`: its arguments, and the error when the toolkit is missing (checked before anything
 * runs). A real build takes minutes and a GPU toolkit; it is not run here.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli } from "./cliHarness.js"

describe("parlance engine build", { timeout: 60_000 }, () => {
  it("names each missing tool and how to get it, and builds nothing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "parlance-path-"))
    for (const gpu of ["cuda", "vulkan"]) {
      const result = await runCli(["engine", "build", "--gpu", gpu], {
        env: { PATH: empty, CUDA_PATH: empty, CUDA_HOME: empty }
      })
      expect(result.code).toBe(1)
      const output = result.stdout + result.stderr
      expect(output).toContain(`Cannot build llama.cpp with ${gpu.toUpperCase()} support; missing:`)
      expect(output).toContain("cmake: install CMake")
      expect(output).toContain("git: install git")
      if (gpu === "vulkan") expect(output).toContain("glslc: install the Vulkan SDK")
      // nvcc is also looked for in /usr/local/cuda, which this machine may have
      else if (existsSync("/usr/local/cuda/bin/nvcc")) expect(output).not.toContain("nvcc:")
      else expect(output).toContain("nvcc: install the CUDA toolkit")
      expect(output).not.toContain("building llama.cpp")
      expect(output).not.toContain("Cloning")
    }
  })

  it("takes --gpu cuda or vulkan only", async () => {
    const wrong = await runCli(["engine", "build", "--gpu", "metal"])
    expect(wrong.code).not.toBe(0)
    expect(wrong.stdout + wrong.stderr).toContain('Invalid value for flag --gpu: "metal". Expected: "cuda" | "vulkan"')
    const missing = await runCli(["engine", "build"])
    expect(missing.code).not.toBe(0)
    expect(missing.stdout + missing.stderr).toContain("--gpu")
  })
})
