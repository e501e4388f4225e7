/**
 * Which GPU backends to try, in what order, and what to say when one fails (docs/architecture.md#engine). Pure:
 * the runner's supervisor (`client.ts`) feeds it what node-llama-cpp reports and what a failed runner printed.
 */
import * as Path from "node:path"

export type Gpu = "cuda" | "vulkan" | "metal" | false
export type GpuRequest = "auto" | Gpu

/**
 * The backends to try for `requested`, each proven by a one-token decode in a fresh runner before the server
 * serves: `auto` tries CUDA, then Vulkan, then Metal (each only where node-llama-cpp can load it: `supported`),
 * then the CPU; an explicit backend is tried alone (it works or the start fails).
 */
export const candidates = (requested: GpuRequest, supported: ReadonlyArray<Gpu>): ReadonlyArray<Gpu> => {
  if (requested !== "auto") return [requested]
  const gpus = (["cuda", "vulkan", "metal"] as const).filter((gpu) => supported.includes(gpu))
  return [...gpus, false]
}

export const gpuName = (gpu: Gpu): string =>
  gpu === false ? "CPU" : gpu === "cuda" ? "CUDA" : gpu === "vulkan" ? "Vulkan" : "Metal"

/** How a runner ended when it was not asked to. */
export interface Death {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** Its last stderr lines, oldest first. */
  readonly stderr: ReadonlyArray<string>
}

const exitText = (death: Pick<Death, "code" | "signal">): string =>
  death.signal !== null ? `signal ${death.signal}` : `exit code ${String(death.code)}`

/**
 * The one line that says why a runner died: the first error line of its last stderr lines when it printed one
 * (`CUDA error: …`, `GGML_ASSERT…`), and how the process ended.
 */
export const causeOf = (death: Death): string => {
  // The first such line: llama.cpp prints the cause, then where it stopped.
  const line = death.stderr.map((l) => l.trim()).find((l) => /error|assert|abort|fatal/i.test(l))
  return line === undefined ? exitText(death) : `${line.replace(/\.$/, "")}; ${exitText(death)}`
}

/** `engine: CUDA failed its probe (…); falling back to Vulkan` */
export const fallbackWarning = (failed: Gpu, cause: string, next: Gpu): string =>
  `engine: ${gpuName(failed)} failed its probe (${cause}); falling back to ${gpuName(next)}`

/** What fixes a backend that was asked for by name and failed. */
export const advice = (gpu: Gpu): string =>
  gpu === "cuda"
    ? "The prebuilt CUDA binary has machine code for sm_86/89/120/121 GPUs only; on others (A100, H100/H200, " +
      "B200, …) the driver compiles its PTX, which needs an NVIDIA R590 (CUDA 13.1) driver or newer. Update the " +
      "driver, or build llama.cpp for this GPU with the installed CUDA toolkit: parlance engine build --gpu cuda. " +
      "Or start with --gpu auto (falls back to Vulkan or the CPU)."
    : gpu === "vulkan"
      ? "Vulkan needs a Vulkan loader (libvulkan.so.1) and the GPU vendor's driver; or build llama.cpp for this " +
        "machine: parlance engine build --gpu vulkan. Or start with --gpu auto."
      : gpu === "metal"
        ? "Metal is available on Apple Silicon macOS only. Start with --gpu auto."
        : "The CPU backend failed: the model may not fit in memory, or the file may be damaged."

/**
 * The runner's environment: the CUDA JIT cache in a persistent place, large enough for llama.cpp's kernels
 * (a GPU without machine code in the binary compiles PTX on first use: 20–25 s per kernel set), unless the
 * user chose otherwise.
 */
export const runnerEnv = (
  env: NodeJS.ProcessEnv,
  home: string
): { readonly env: NodeJS.ProcessEnv; readonly cudaCache: string } => {
  const cudaCache =
    env.CUDA_CACHE_PATH ?? Path.join(env.XDG_CACHE_HOME ?? Path.join(home, ".cache"), "parlance", "cuda")
  return {
    env: { ...env, CUDA_CACHE_PATH: cudaCache, CUDA_CACHE_MAXSIZE: env.CUDA_CACHE_MAXSIZE ?? String(4 * 2 ** 30) },
    cudaCache
  }
}

/**
 * Test hooks, from `PARLANCE_ENGINE_FAULT` (comma-separated; never set in production):
 * - `abort-after-tokens:N`: the first runner calls `process.abort()` once it has streamed N tokens (a native
 *   crash mid-stream); the runners started after it run clean.
 * - `probe-abort:GPU` (`cuda`, `vulkan`): the runner for that backend prints the CUDA PTX error an R580 driver
 *   gives and aborts during its probe; the backend counts as supported, so `--gpu auto` tries it.
 */
export interface Faults {
  readonly abortAfterTokens: number | undefined
  readonly probeAbort: ReadonlyArray<Gpu>
}

export const parseFaults = (spec: string | undefined): Faults => {
  const parts = (spec ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
  let abortAfterTokens: number | undefined
  const probeAbort: Array<Gpu> = []
  for (const part of parts) {
    const [name, value = ""] = part.split(":")
    if (name === "abort-after-tokens" && /^\d+$/.test(value)) abortAfterTokens = Number(value)
    else if (name === "probe-abort" && (value === "cuda" || value === "vulkan" || value === "metal"))
      probeAbort.push(value)
  }
  return { abortAfterTokens, probeAbort }
}

/** What a CUDA build whose PTX is too new for the driver prints before llama.cpp aborts (measured on an H200, R580). */
export const cudaPtxError = [
  "CUDA error: the provided PTX was compiled with an unsupported toolchain.",
  "  current device: 0, in function ggml_cuda_kernel_can_use_pdl at ggml/src/ggml-cuda/common.cuh:1679",
  "  cudaFuncGetAttributes(&attr, kernel)",
  "ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error"
]
