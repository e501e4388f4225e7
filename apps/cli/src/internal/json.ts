/** Reading foreign JSON (other servers' events, recordings) without trusting its shape. */
export type Json = Record<string, unknown>

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
