import { describe, expect, it } from "@effect/vitest"
import * as Path from "node:path"
import { defaultThreads } from "../src/internal/options.js"
import { restartDelayMs } from "../src/runner/client.js"
import { candidates, causeOf, cudaPtxError, fallbackWarning, parseFaults, runnerEnv } from "../src/runner/gpu.js"

describe("candidates", () => {
  it("auto: CUDA, Vulkan, Metal where node-llama-cpp can load them, then the CPU", () => {
    expect(candidates("auto", ["cuda", "vulkan", false])).toEqual(["cuda", "vulkan", false])
    expect(candidates("auto", [false, "vulkan", "cuda"])).toEqual(["cuda", "vulkan", false])
    expect(candidates("auto", ["vulkan", false])).toEqual(["vulkan", false])
    expect(candidates("auto", ["metal", false])).toEqual(["metal", false])
    expect(candidates("auto", [false])).toEqual([false])
    expect(candidates("auto", [])).toEqual([false])
  })
  it("an explicit backend alone, whether or not it looks supported", () => {
    expect(candidates("cuda", [false])).toEqual(["cuda"])
    expect(candidates("vulkan", ["cuda", "vulkan", false])).toEqual(["vulkan"])
    expect(candidates(false, ["cuda", false])).toEqual([false])
  })
})

describe("causeOf", () => {
  it("names llama.cpp's first error line and how the process ended", () => {
    const death = {
      code: null,
      signal: "SIGABRT" as const,
      stderr: ["loading", ...cudaPtxError, "----- Native stack trace -----"]
    }
    expect(causeOf(death)).toBe(
      "CUDA error: the provided PTX was compiled with an unsupported toolchain; signal SIGABRT"
    )
    expect(fallbackWarning("cuda", causeOf(death), "vulkan")).toBe(
      "engine: CUDA failed its probe (CUDA error: the provided PTX was compiled with an unsupported toolchain; signal SIGABRT); falling back to Vulkan"
    )
  })
  it("never names a backtrace frame (the H200's stderr ends in two dozen of them)", () => {
    const frames = cudaPtxError.filter((l) => l.includes("ggml_abort"))
    expect(frames.length).toBeGreaterThan(20)
    expect(causeOf({ code: null, signal: "SIGABRT", stderr: [cudaPtxError[0], ...frames] })).toBe(
      "ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error; signal SIGABRT"
    )
    expect(causeOf({ code: null, signal: "SIGABRT", stderr: frames })).toBe("signal SIGABRT")
  })
  it("without an error line, how the process ended", () => {
    expect(causeOf({ code: null, signal: "SIGSEGV", stderr: [] })).toBe("signal SIGSEGV")
    expect(causeOf({ code: 3, signal: null, stderr: ["done"] })).toBe("exit code 3")
  })
})

describe("parseFaults", () => {
  it("reads the test hooks and ignores anything else", () => {
    expect(parseFaults(undefined)).toEqual({ abortAfterTokens: undefined, probeAbort: [] })
    expect(parseFaults("abort-after-tokens:12, probe-abort:cuda,probe-abort:vulkan")).toEqual({
      abortAfterTokens: 12,
      probeAbort: ["cuda", "vulkan"]
    })
    expect(parseFaults("abort-after-tokens:x,probe-abort:cpu,nonsense")).toEqual({
      abortAfterTokens: undefined,
      probeAbort: []
    })
  })
})

describe("the runner's environment", () => {
  it("a persistent, 4 GiB CUDA JIT cache unless the user set one", () => {
    const { env, cudaCache } = runnerEnv({ PATH: "/bin" }, "/home/u")
    expect(cudaCache).toBe(Path.join("/home/u", ".cache", "parlance", "cuda"))
    expect(env).toMatchObject({ PATH: "/bin", CUDA_CACHE_PATH: cudaCache, CUDA_CACHE_MAXSIZE: "4294967296" })
    expect(runnerEnv({ XDG_CACHE_HOME: "/c" }, "/home/u").cudaCache).toBe(Path.join("/c", "parlance", "cuda"))
    const own = runnerEnv({ CUDA_CACHE_PATH: "/mine", CUDA_CACHE_MAXSIZE: "1" }, "/home/u")
    expect(own.env).toMatchObject({ CUDA_CACHE_PATH: "/mine", CUDA_CACHE_MAXSIZE: "1" })
  })
  it("points Vulkan at the driver's ICD where an NVIDIA container mounts it, and only there", () => {
    const icd = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json"
    const only =
      (...paths: Array<string>) =>
      (path: string) =>
        paths.includes(path)
    expect(runnerEnv({}, "/h", only(icd)).env.VK_DRIVER_FILES).toBe(icd)
    expect(runnerEnv({}, "/h", only()).env.VK_DRIVER_FILES).toBeUndefined()
    expect(
      runnerEnv({}, "/h", only(icd, "/usr/share/vulkan/icd.d/nvidia_icd.json")).env.VK_DRIVER_FILES
    ).toBeUndefined()
    expect(runnerEnv({ VK_DRIVER_FILES: "/mine.json" }, "/h", only(icd)).env.VK_DRIVER_FILES).toBe("/mine.json")
    expect(runnerEnv({ VK_ICD_FILENAMES: "/old.json" }, "/h", only(icd)).env.VK_DRIVER_FILES).toBeUndefined()
  })
  it("threads: all cores but one; restarts: 0.5 s doubling up to 30 s", () => {
    expect([1, 2, 4, 16].map(defaultThreads)).toEqual([1, 1, 3, 15])
    expect([1, 2, 3, 7, 8, 20].map(restartDelayMs)).toEqual([500, 1000, 2000, 30_000, 30_000, 30_000])
  })
})
