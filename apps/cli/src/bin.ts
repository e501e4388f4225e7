/**
 * The `parlance` command.
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { chat } from "./Chat.js"
import { check } from "./Check.js"
import { replay } from "./Replay.js"
import { serve } from "./Serve.js"

const parlance = Command.make("parlance").pipe(
  Command.withDescription("A strict OpenAI Responses API for local LLMs"),
  Command.withSubcommands([serve, chat, check, replay])
)

const cli = Command.run(parlance, { name: "parlance", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: false }))
