/** A JSON object (not an array, not null): what every tolerant reader of foreign JSON checks first. */
export type JsonObject = Record<string, unknown>

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)
