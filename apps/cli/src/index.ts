/**
 * @since 0.1.0
 */
export * as Serve from "./Serve.js"
/** @since 0.1.0 */
export * as ServeOptions from "./ServeOptions.js"
/** @since 0.1.0 */
export * as Chat from "./Chat.js"
/** @since 0.1.0 */
export * as Check from "./Check.js"
/** @since 0.1.0 */
export * as Replay from "./Replay.js"
