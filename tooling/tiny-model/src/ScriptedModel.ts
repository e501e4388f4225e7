/**
 * A second generated GGUF whose behaviour is scripted by hand-set weights (no training): same vocabulary
 * and chat template as the random tiny model, 3 llama blocks, deterministic and byte-identical per build.
 * At any temperature it answers a plain prompt with `ANSWER_TEXT` and ends the turn; with tools offered it
 * calls the FIRST listed tool (its name copied token by token from the rendered tools block) with
 * schema-valid arguments, the first string argument copied from the user's words (the latest capitalised
 * word, or the word after "run"); after a tool result it answers `TOOL_RESULT_TEXT`. The `think` variant
 * thinks `THOUGHT_TEXT` before its plain answer. How it works: `internal/scriptedWeights.ts`.
 * @since 0.1.0
 */
import * as internal from "./internal/scriptedModel.js"
import * as script from "./internal/script.js"

/**
 * Options: `think` selects the variant that thinks before its plain answer.
 * @category models
 */
export type ScriptedModelOptions = internal.ScriptedModelOptions

/**
 * The plain answer.
 * @category constants
 */
export const ANSWER_TEXT: string = script.ANSWER_TEXT

/**
 * The answer after a tool result.
 * @category constants
 */
export const TOOL_RESULT_TEXT: string = script.TOOL_RESULT_TEXT

/**
 * The thought of the `think` variant.
 * @category constants
 */
export const THOUGHT_TEXT: string = script.THOUGHT_TEXT

/**
 * Where `ensureScriptedModel` keeps each variant (`tooling/tiny-model/model/`, gitignored).
 * @category constants
 */
export const defaultScriptedModelPath: string = internal.defaultScriptedModelPath

/**
 * @category constants
 */
export const defaultThinkingModelPath: string = internal.defaultThinkingModelPath

/**
 * The GGUF file's bytes.
 * @category constructors
 */
export const encodeScriptedModel: (options?: ScriptedModelOptions) => Uint8Array = internal.encodeScriptedModel

/**
 * Write the scripted GGUF to `path` (atomically: temp file + rename).
 * @category constructors
 */
export const generateScriptedModel: (path: string, options?: ScriptedModelOptions) => Promise<void> =
  internal.generateScriptedModel

/**
 * Make sure the variant's default path holds the current model (write it when missing or stale) and return
 * its absolute path.
 * @category constructors
 */
export const ensureScriptedModel: (options?: ScriptedModelOptions) => Promise<string> = internal.ensureScriptedModel
