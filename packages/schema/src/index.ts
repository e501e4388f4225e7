/**
 * @since 0.1.0
 */
export * as ChatCompletions from "./ChatCompletions.js"
/** @since 0.1.0 */
export * as ResponsesInput from "./ResponsesInput.js"
/** @since 0.1.0 */
export * as ResponsesTools from "./ResponsesTools.js"
/** @since 0.1.0 */
export * as ResponsesRequest from "./ResponsesRequest.js"
/** @since 0.1.0 */
export * as ResponseObject from "./ResponseObject.js"
/** @since 0.1.0 */
export * as ResponseEvents from "./ResponseEvents.js"
/** @since 0.1.0 */
export * as OpenAiError from "./OpenAiError.js"
/** @since 0.1.0 */
export * as ChatBackend from "./ChatBackend.js"
/** @since 0.1.0 */
export * as Source from "./Source.js"
/** @since 0.1.0 */
export * as SourceBuffer from "./SourceBuffer.js"
/** @since 0.1.0 */
export * as Conversations from "./Conversations.js"
