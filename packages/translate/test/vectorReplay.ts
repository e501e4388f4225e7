/** The shipped vectors (vectors/*.json), read for the tests; the generator writes them from vectorSources.ts. */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { ResponseObject } from "@parlance/schema"
import * as Sequencer from "../src/Sequencer.js"
import * as Vector from "../src/Vector.js"
import type { Expect } from "./vectorSources.js"

export const vectorDir = join(import.meta.dirname, "..", "vectors")

/** The vector files `vectors/index.json` lists. */
export const vectorFiles = (): Array<string> => JSON.parse(readFileSync(join(vectorDir, "index.json"), "utf8")).vectors

/** The vector files in the directory (index.json and the schema aside). */
export const filesInDir = (): Array<string> =>
  readdirSync(vectorDir)
    .filter((f) => f.endsWith(".json") && f !== "index.json" && !f.endsWith(".schema.json"))
    .sort()

/** Every vector, parsed. */
export const readVectors = (): Array<Vector.Vector> =>
  vectorFiles().map((f) => JSON.parse(readFileSync(join(vectorDir, f), "utf8")))

export const streamVectors = (): Array<Vector.StreamVector> =>
  readVectors().filter((v): v is Vector.StreamVector => v.kind === "stream")

/** A fresh sequencer context from the vector's own (each call starts its ids and clock over). */
export const vectorContext = (v: Vector.StreamVector): Sequencer.Context => Vector.streamContext(v.context).ctx
export const vectorInputs = (v: Vector.StreamVector): ReadonlyArray<Sequencer.Input> => Vector.inputs(v)

/** The Response the terminal event carries. */
export const responseOf = (events: ReadonlyArray<unknown>): ResponseObject.Response =>
  (events[events.length - 1] as { response: ResponseObject.Response }).response

/** The replayed events and the terminal Response. */
export const replay = (v: Vector.StreamVector) => Sequencer.run(vectorContext(v), vectorInputs(v))

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
