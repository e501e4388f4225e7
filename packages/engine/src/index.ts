/**
 * @since 0.1.0
 */
export * as Engine from "./Engine.js"

/** @since 0.1.0 */
export * as EngineError from "./EngineError.js"

/** @since 0.1.0 */
export * as Build from "./Build.js"
