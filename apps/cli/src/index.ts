/**
 * @since 0.1.0
 */
export * as Serve from "./Serve.js"
/** @since 0.1.0 */
export * as ServeOptions from "./ServeOptions.js"
