#!/usr/bin/env node
/**
 * The `parlance` command.
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Command from "effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { readFileSync } from "node:fs"
import { chat } from "./Chat.js"
import { check } from "./Check.js"
import { engine } from "./EngineCommand.js"
import { replay } from "./Replay.js"
import { serve } from "./Serve.js"

const parlance = Command.make("parlance").pipe(
  Command.withDescription("A strict OpenAI Responses API for local LLMs"),
  Command.withSubcommands([serve, chat, check, replay, engine])
)

/**
 * Ctrl-C / SIGTERM interrupt the command, and `serve` drains before it ends: that is a clean stop, exit 0
 * (the default teardown says 130). Otherwise the default: a success keeps the `process.exitCode` a command
 * set (`check`, `replay`), a failure exits 1.
 */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

// The package's own version (changesets bumps it): package.json is one level above both src/ and dist/.
// A bundle of the CLI (tooling/gpu) has no package.json beside it: it reports an unknown version, not a crash.
const version = ((): string => {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
      .version
  } catch {
    return "0.0.0-unknown"
  }
})()

parlance.pipe(Command.run({ version }), Effect.provide(NodeServices.layer), NodeRuntime.runMain({ teardown }))
