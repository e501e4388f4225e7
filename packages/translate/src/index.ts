/**
 * @since 0.1.0
 */
export * as Sequencer from "./Sequencer.js"
/** @since 0.1.0 */
export * as ValidateStream from "./ValidateStream.js"
/** @since 0.1.0 */
export * as Sse from "./Sse.js"
/** @since 0.1.0 */
export * as Dialect from "./Dialect.js"
/** @since 0.1.0 */
export * as ChunkDecode from "./ChunkDecode.js"
/** @since 0.1.0 */
export * as ToChatRequest from "./ToChatRequest.js"
/** @since 0.1.0 */
export * as ToolMapping from "./ToolMapping.js"
/** @since 0.1.0 */
export * as ResponsesParam from "./ResponsesParam.js"
/** @since 0.1.0 */
export * as ResponseSnapshot from "./ResponseSnapshot.js"
/** @since 0.1.0 */
export * as Usage from "./Usage.js"
/** @since 0.1.0 */
export * as FinishReason from "./FinishReason.js"
/** @since 0.1.0 */
export * as Ids from "./Ids.js"
/** @since 0.1.0 */
export * as TranslateError from "./TranslateError.js"
/** The grammar checker, re-exported flat: it is what `parlance check` and every test call. @since 0.1.0 */
export { checkStream, validateStream } from "./ValidateStream.js"
/** @since 0.1.0 */
export { toChatRequest } from "./ToChatRequest.js"
/** @since 0.1.0 */
export * as ChatAggregate from "./ChatAggregate.js"
/** @since 0.1.0 */
export * as ResponseToChat from "./ResponseToChat.js"
/** Test vectors any language can replay (vectors/README.md): their schema and `replay`. @since 0.1.0 */
export * as Vector from "./Vector.js"
