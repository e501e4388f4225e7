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

/** A native backtrace frame (`lib.so(ggml_abort+0x152)[0x7f…]`, `#3 0x…`): where it stopped, never why. */
const isFrame = (line: string): boolean => /\[0x[0-9a-f]+\]$|\(\+?0x[0-9a-f]+\)|^#\d+\s+0x/i.test(line)

/**
 * The one line that says why a runner died, and how the process ended. llama.cpp prints the cause (`CUDA error:
 * the provided PTX …`, through node-llama-cpp's log as `[node-llama-cpp] …`), a location line and then a
 * backtrace that can run to dozens of lines: a line with a message after `error:` wins, else the first error
 * line that is not a frame.
 */
export const causeOf = (death: Death): string => {
  const lines = death.stderr.map((l) => l.trim().replace(/^\[node-llama-cpp\]\s*/, "")).filter((l) => !isFrame(l))
  const line = lines.find((l) => /\berror: \S/i.test(l)) ?? lines.find((l) => /error|assert|abort|fatal/i.test(l))
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
      ? "Vulkan needs a Vulkan loader (libvulkan.so.1) and the GPU vendor's driver; NVIDIA's Vulkan driver " +
        "(libGLX_nvidia) also needs libglvnd's libGLdispatch.so.0 (Debian/Ubuntu: apt install libvulkan1 " +
        "libglvnd0; measured on an H200: without it Vulkan lists no GPU). Or build llama.cpp for this machine: " +
        "parlance engine build --gpu vulkan. Or start with --gpu auto."
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
  home: string,
  exists: (path: string) => boolean = () => false
): { readonly env: NodeJS.ProcessEnv; readonly cudaCache: string } => {
  const cudaCache =
    env.CUDA_CACHE_PATH ?? Path.join(env.XDG_CACHE_HOME ?? Path.join(home, ".cache"), "parlance", "cuda")
  return {
    env: {
      ...env,
      CUDA_CACHE_PATH: cudaCache,
      CUDA_CACHE_MAXSIZE: env.CUDA_CACHE_MAXSIZE ?? String(4 * 2 ** 30),
      ...vulkanDriver(env, exists)
    },
    cudaCache
  }
}

/** Where the Vulkan loader looks for drivers' ICD files when nothing overrides it. */
const ICD_DIRS = ["/etc/vulkan/icd.d", "/usr/share/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"]
/** The NVIDIA container toolkit mounts the driver's ICD file here, outside the loader's search path. */
export const NVIDIA_CONTAINER_ICD = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json"

/**
 * Some NVIDIA container images mount the driver's Vulkan ICD only where the loader does not look, so Vulkan finds
 * no GPU. Point the loader at it, unless the user chose drivers or the system's own search path has an NVIDIA ICD.
 */
const vulkanDriver = (env: NodeJS.ProcessEnv, exists: (path: string) => boolean): NodeJS.ProcessEnv =>
  env.VK_DRIVER_FILES !== undefined ||
  env.VK_ICD_FILENAMES !== undefined ||
  ICD_DIRS.some((dir) => exists(Path.join(dir, "nvidia_icd.json"))) ||
  !exists(NVIDIA_CONTAINER_ICD)
    ? {}
    : { VK_DRIVER_FILES: NVIDIA_CONTAINER_ICD }

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
  "ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error",
  "[node-llama-cpp] CUDA error: the provided PTX was compiled with an unsupported toolchain.",
  "  current device: 0, in function ggml_cuda_kernel_can_use_pdl at ggml/src/ggml-cuda/common.cuh:1679",
  "  cudaFuncGetAttributes(&attr, kernel)",
  // The backtrace that follows on an H200 (R580), longer than the lines a runner's death used to keep.
  ...Array.from(
    { length: 24 },
    (_, i) =>
      `/opt/pl/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-base.so(ggml_abort+0x${(0x152 + i).toString(16)})[0x7fe26014df${(0x42 + i).toString(16)}]`
  )
]
