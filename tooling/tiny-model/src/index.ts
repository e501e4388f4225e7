/**
 * @since 0.1.0
 */
export * as TinyModel from "./TinyModel.js"

/**
 * @since 0.1.0
 */
export * as ScriptedModel from "./ScriptedModel.js"

/** @since 0.1.0 */
export { ensureTinyModel, generateTinyModel } from "./TinyModel.js"

/** @since 0.1.0 */
export { ensureScriptedModel, generateScriptedModel } from "./ScriptedModel.js"
