/** Shapes both the request and its input items use (`text.format`, `reasoning.effort`; `configuration_update`). */
import * as Schema from "effect/Schema"
import { Json, opt } from "./fields.js"

export const TextFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.String,
    schema: Json,
    description: opt(Schema.String),
    strict: opt(Schema.Boolean)
  })
]).annotate({ identifier: "TextFormat" })

/** The SDK's `ReasoningEffort` (7.60 added `max`). */
export const ReasoningEffort = Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])
