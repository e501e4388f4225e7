/**
 * `parlance engine build --gpu cuda|vulkan`: build llama.cpp for this machine (docs/architecture.md#engine), for
 * GPUs the prebuilt binary cannot serve (e.g. CUDA on a GPU without machine code in it and a driver older than
 * R590). Explicit, never at serve time; `serve` uses the build from then on.
 * @since 0.1.0
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const build = Command.make(
  "build",
  {
    gpu: Flag.Literals("gpu", ["cuda", "vulkan"] as const).pipe(
      Flag.withDescription("The GPU backend to build llama.cpp for (needs its toolkit: nvcc, or the Vulkan SDK)")
    )
  },
  ({ gpu }) =>
    Effect.gen(function* () {
      const { Build } = yield* Effect.promise(() => import("@parlance/engine"))
      const where = yield* Build.build(gpu)
      yield* Console.log(
        `built into ${where}; parlance serve uses it from now on (--gpu ${gpu} and --gpu auto), after its probe decode.`
      )
    })
).pipe(Command.withDescription("Build llama.cpp for this machine's GPU with the installed toolkit (no download)"))

export const engine = Command.make("engine").pipe(
  Command.withDescription("Manage the embedded engine (llama.cpp builds)"),
  Command.withSubcommands([build])
)
