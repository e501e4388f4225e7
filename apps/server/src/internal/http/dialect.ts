/**
 * Which dialect a `/v1/responses` stream speaks (docs/architecture.md#dialects). Neither the Open Responses
 * OpenAPI document nor its specification text defines a way for a request to ask; the project's own reference
 * requests (its generated curl examples) send an `OpenResponses-Version` header, which only an Open Responses
 * client sends — so that header, with any value, asks for the spec's names. Otherwise the server's `--dialect`.
 */
import type { Dialect } from "@parlance/translate"

export const dialectOf = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  fallback: Dialect.Dialect
): Dialect.Dialect => (headers["openresponses-version"] !== undefined ? "openresponses" : fallback)
