/**
 * The vector files are their own documentation: each validates against the published JSON Schema
 * (vectors/vector.schema.json, generated from the Vector schema), and `Vector.replay` — reading nothing but
 * the file — reproduces every one, and names what differs when a file is altered.
 */
import { describe, expect, it } from "@effect/vitest"
import Ajv2020Module from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as Vector from "../src/Vector.js"
import { filesInDir, readVectors, vectorDir, vectorFiles } from "./vectorReplay.js"

const Ajv2020 = Ajv2020Module.default
const published = JSON.parse(readFileSync(join(vectorDir, "vector.schema.json"), "utf8"))
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(published)
const vectors = readVectors()
const clone = <A>(a: A): A => structuredClone(a) as A

describe("the vector files", () => {
  it("are stream and request vectors", () => {
    expect(vectors.filter((v) => v.kind === "stream").length).toBeGreaterThanOrEqual(30)
    expect(vectors.filter((v) => v.kind === "request").length).toBeGreaterThanOrEqual(4)
  })

  it("index.json lists every vector file", () => {
    expect(vectorFiles()).toEqual(filesInDir())
  })

  it("the published JSON Schema is the one the Vector schema generates", () => {
    expect(published).toEqual(Vector.jsonSchema())
  })

  for (const vector of vectors) {
    it(`${vector.name}: valid against the JSON Schema, and replays exactly`, () => {
      expect(validate(vector) ? [] : validate.errors).toEqual([])
      expect(Vector.replay(vector).mismatches).toEqual([])
    })
  }

  it("the JSON Schema and replay refuse a malformed file", () => {
    const stream = clone(vectors.find((v) => v.kind === "stream")!) as Record<string, any>
    delete stream.context.ids
    expect(validate(stream)).toBe(false)
    expect(Vector.replay(stream).mismatches[0]).toMatch(/^not a vector: /)
    const extra = { ...clone(vectors[0]!), surprise: 1 }
    expect(validate(extra)).toBe(false)
    expect(Vector.replay(extra).mismatches[0]).toMatch(/^not a vector: /)
  })

  it("replay names the first difference, and ids or clock readings recorded but never drawn", () => {
    const base = vectors.find((v) => v.name === "two-consecutive-tool-calls") as Vector.StreamVector
    const tampered = clone(base) as any
    tampered.events[4].delta = "changed"
    expect(Vector.replay(tampered).mismatches).toEqual([
      `events[4].delta: ${JSON.stringify(base.events[4]!.delta)} ≠ "changed"`
    ])

    const extraId = clone(base) as any
    extraId.context.ids.push("msg_9999")
    extraId.context.clock.push(1)
    expect(Vector.replay(extraId).mismatches).toEqual([
      "1 of the recorded ids were never drawn",
      "1 of the recorded clock readings were never drawn"
    ])

    const fewer = clone(base) as any
    fewer.context.ids.pop()
    expect(Vector.replay(fewer).mismatches[0]).toMatch(/^id #\d+ was drawn but the vector records only \d+$/)

    const wrongPrefix = clone(base) as any
    wrongPrefix.context.ids[0] = "msg_0001"
    expect(Vector.replay(wrongPrefix).mismatches[0]).toBe(
      "id #0: the translation asked for a 'fc_' id, the vector has msg_0001"
    )
  })

  it("a request vector's replay names a changed Chat Completions request", () => {
    const base = vectors.find((v) => v.name === "request-history-tools-reference-file") as Vector.RequestVector
    const tampered = clone(base) as any
    tampered.context.files[0].text = "Rome: 24°C"
    const { mismatches } = Vector.replay(tampered)
    expect(mismatches).toHaveLength(1)
    expect(mismatches[0]).toMatch(/^output\.chatRequest\.messages\[6\]\.content: .*Rome: 24°C.* ≠ .*Lyon: 15°C/)
  })
})
