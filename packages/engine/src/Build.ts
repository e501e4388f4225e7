/**
 * `parlance engine build`: llama.cpp built for this machine from the source node-llama-cpp ships in its package
 * (`llama/gitRelease.bundle`, no download), with the host's toolkit, through node-llama-cpp's own build
 * (`getLlama({ build: "forceRebuild" })`). node-llama-cpp keeps the result in its `llama/localBuilds` and prefers
 * it to the prebuilt binary for that backend from then on, so `serve` uses it with no flag. For GPUs the
 * prebuilt CUDA binary has no machine code for (docs/architecture.md#engine). Never run at serve time.
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

/** @category errors */
export class EngineBuildError extends Data.TaggedError("EngineBuildError")<{ readonly message: string }> {}

export type BuildGpu = "cuda" | "vulkan"

/** A tool the build needs and how to get it. */
interface Tool {
  readonly name: string
  readonly install: string
}

const tools = (gpu: BuildGpu): ReadonlyArray<Tool> => [
  { name: "cmake", install: "CMake 3.26+ (apt install cmake, or cmake.org)" },
  { name: "c++", install: "a C++17 compiler (apt install build-essential)" },
  { name: "git", install: "git (it unpacks the llama.cpp source bundled with node-llama-cpp)" },
  gpu === "cuda"
    ? { name: "nvcc", install: "the CUDA toolkit (nvcc; developer.nvidia.com/cuda-downloads), or set CUDA_PATH" }
    : { name: "glslc", install: "the Vulkan SDK (glslc and the Vulkan headers; vulkan.lunarg.com)" }
]

const executable = (file: string): boolean => {
  try {
    Fs.accessSync(file, Fs.constants.X_OK)
    return Fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/** Where `name` is: on PATH, or (nvcc) in `CUDA_PATH`/`CUDA_HOME`/`/usr/local/cuda`. */
export const locate = (name: string, env: NodeJS.ProcessEnv): string | undefined => {
  const dirs = (env.PATH ?? "").split(Path.delimiter).filter((d) => d !== "")
  if (name === "nvcc")
    dirs.push(
      ...[env.CUDA_PATH, env.CUDA_HOME, "/usr/local/cuda"]
        .filter((d) => d !== undefined)
        .map((d) => Path.join(d, "bin"))
    )
  return dirs.map((d) => Path.join(d, name)).find(executable)
}

/** The tools missing for a `gpu` build, each with how to install it; empty when the build can run. */
export const missingTools = (gpu: BuildGpu, env: NodeJS.ProcessEnv): ReadonlyArray<string> =>
  tools(gpu)
    .filter((tool) => locate(tool.name, env) === undefined)
    .map((tool) => `${tool.name}: install ${tool.install}`)

/**
 * Build llama.cpp with `gpu` support (minutes), checking the toolkit first. Resolves with where node-llama-cpp
 * keeps the build.
 * @category constructors
 */
export const build = (gpu: BuildGpu): Effect.Effect<string, EngineBuildError> =>
  Effect.gen(function* () {
    const missing = missingTools(gpu, process.env)
    if (missing.length > 0)
      return yield* new EngineBuildError({
        message: `Cannot build llama.cpp with ${gpu.toUpperCase()} support; missing:\n  ${missing.join("\n  ")}`
      })
    yield* Console.log(
      `building llama.cpp with ${gpu.toUpperCase()} support from the source node-llama-cpp ships (takes minutes)…`
    )
    const nvcc = gpu === "cuda" ? locate("nvcc", process.env) : undefined
    // CMake finds a toolkit that is not on PATH through CUDACXX.
    if (nvcc !== undefined && process.env.CUDACXX === undefined) process.env.CUDACXX = nvcc
    const { getLlama, LlamaLogLevel } = yield* Effect.promise(() => import("node-llama-cpp"))
    const llama = yield* Effect.tryPromise({
      try: () =>
        getLlama({
          gpu,
          build: "forceRebuild",
          usePrebuiltBinaries: false,
          progressLogs: true,
          logLevel: LlamaLogLevel.warn
        }),
      catch: (cause) =>
        new EngineBuildError({
          message: `Building llama.cpp with ${gpu.toUpperCase()} support failed: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })
    const built = llama.gpu
    yield* Effect.promise(() => llama.dispose())
    if (built !== gpu)
      return yield* new EngineBuildError({ message: `The build loaded as ${String(built)}, not ${gpu}` })
    return Path.join(Path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..", "llama", "localBuilds")
  })
