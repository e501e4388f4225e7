/**
 * The embedded engine (`@parlance/engine`, which brings node-llama-cpp and its native binaries, hundreds of MB)
 * is an optional peer of the CLI, so proxy mode installs without it. It is imported only when `serve` needs
 * it; when it is not installed, the user gets one line naming the command that adds it.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/** The one line `serve` prints (then exits 1) when embedded mode is asked for and the engine is absent. */
export const engineInstallHint =
  "parlance: embedded mode (--model, or no --upstream) needs the engine: npm install -g @parlance/engine"

export class EngineNotInstalled extends Data.TaggedError("EngineNotInstalled") {
  override readonly message = engineInstallHint
}

/** Whether `error` says that `@parlance/engine` itself cannot be found (not one of its own dependencies). */
export const isEngineMissing = (error: unknown): boolean =>
  error instanceof Error &&
  (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" &&
  /['"]@parlance\/engine['"]/.test(error.message)

/** `import("@parlance/engine")`; fails with `EngineNotInstalled` when it is not installed, dies on anything else. */
export const loadEngine = Effect.tryPromise({ try: () => import("@parlance/engine"), catch: (error) => error }).pipe(
  Effect.catch((error) => (isEngineMissing(error) ? Effect.fail(new EngineNotInstalled()) : Effect.die(error)))
)
