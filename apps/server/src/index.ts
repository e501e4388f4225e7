/**
 * @since 0.1.0
 */
export * as Server from "./Server.js"
/** @since 0.1.0 */
export * as Upstream from "./Upstream.js"
/** @since 0.1.0 */
export * as ResponseStore from "./ResponseStore.js"
/** @since 0.1.0 */
export * as HttpApp from "./HttpApp.js"
/** @since 0.1.0 */
export * as ApiError from "./ApiError.js"
/** @since 0.1.0 */
export * as Metrics from "./Metrics.js"
/** @since 0.1.0 */
export * as Recorder from "./Recorder.js"
/** @since 0.1.0 */
export * as Backend from "./Backend.js"
/** @since 0.1.0 */
export * as Generations from "./Generations.js"
/** @since 0.1.0 */
export * as ServerConfig from "./ServerConfig.js"
/** @since 0.1.0 */
export * as Replica from "./Replica.js"
/** @since 0.1.0 */
export * as ConversationStore from "./ConversationStore.js"
/** @since 0.2.0 */
export * as Router from "./Router.js"
/** @since 0.2.0 */
export * as EnginePool from "./EnginePool.js"
/** @since 0.2.0 */
export * as Tracing from "./Tracing.js"
