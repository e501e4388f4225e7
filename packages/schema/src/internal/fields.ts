/** Field builders every wire schema shares. */
import * as Schema from "effect/Schema"

/** Ingress-tolerant optional field: absent, `null` or the value (servers in the wild send all three). */
export const opt = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

/** Any JSON object (JSON Schemas, tool parameters). */
export const Json = Schema.Record(Schema.String, Schema.Unknown)
