/** Replays a golden vector through the sequencer (used by the vector test, the generator and the server e2e). */
import type { ResponseObject } from "@parlance/schema"
import * as ChunkDecode from "../src/ChunkDecode.js"
import * as Ids from "../src/Ids.js"
import * as Sequencer from "../src/Sequencer.js"
import type { Expect, VectorSource } from "./vectorSources.js"

export interface Vector extends VectorSource {
  readonly events: ReadonlyArray<unknown>
}

export const vectorContext = (v: VectorSource): Sequencer.Context => ({
  responseId: "resp_vector",
  createdAt: 1_700_000_000,
  clock: () => 1_700_000_001,
  model: "local-model",
  ids: Ids.counter(),
  reasoning: v.context?.reasoning ?? "text",
  tools: new Map(Object.entries(v.context?.tools ?? {}))
})

export const vectorInputs = (v: VectorSource): ReadonlyArray<Sequencer.Input> => [
  ...v.chunks.map((c) => (typeof c === "string" ? ChunkDecode.fromData(c) : ChunkDecode.fromJson(c))),
  ...(v.outcome ? [Sequencer.failed(v.outcome.code, v.outcome.message)] : [])
]

export const replay = (v: VectorSource) => Sequencer.run(vectorContext(v), vectorInputs(v))

const texts = (item: ResponseObject.OutputItem) => {
  switch (item.type) {
    case "message":
      return {
        text: item.content.map((p) => (p.type === "output_text" ? p.text : "")).join(""),
        refusal: item.content.map((p) => (p.type === "refusal" ? p.refusal : "")).join("")
      }
    case "reasoning":
      return {
        text: (item.content ?? []).map((p) => p.text).join(""),
        summary: item.summary.map((p) => p.text).join("")
      }
    default:
      return {}
  }
}

/** Every field the hand-written `expect` names must match the response: returns the mismatches. */
export const checkExpect = (expect: Expect, response: ResponseObject.Response): Array<string> => {
  const problems: Array<string> = []
  if (response.status !== expect.status) problems.push(`status ${response.status} ≠ ${expect.status}`)
  if (expect.incomplete_reason !== undefined && response.incomplete_details?.reason !== expect.incomplete_reason)
    problems.push("incomplete reason")
  if (expect.error_code !== undefined && response.error?.code !== expect.error_code)
    problems.push(`error code ${response.error?.code}`)
  if (response.output.length !== expect.output.length)
    problems.push(`output length ${response.output.length} ≠ ${expect.output.length}`)
  expect.output.forEach((want, i) => {
    const got = response.output[i] as unknown as Record<string, unknown> | undefined
    if (got === undefined) return
    const derived: Record<string, unknown> = { ...got, ...texts(response.output[i]!) }
    for (const [key, value] of Object.entries(want)) {
      if (derived[key] !== value)
        problems.push(`output[${i}].${key}: ${JSON.stringify(derived[key])} ≠ ${JSON.stringify(value)}`)
    }
  })
  const matchPartial = (want: unknown, got: unknown, path: string): void => {
    if (typeof want === "object" && want !== null) {
      for (const [k, v] of Object.entries(want))
        matchPartial(v, (got as Record<string, unknown> | null)?.[k], `${path}.${k}`)
    } else if (want !== got) problems.push(`${path}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`)
  }
  if (expect.usage !== undefined) matchPartial(expect.usage, response.usage, "usage")
  return problems
}
