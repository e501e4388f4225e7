/**
 * @since 0.1.0
 */
export * as SpecValidator from "./SpecValidator.js"
