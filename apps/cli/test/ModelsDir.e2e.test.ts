/**
 * `models_dir` with `models_max: 1`: every GGUF of a folder served embedded under its file name, loaded on first
 * use in its own runner; asking for the second unloads the first (least recently used), and both answer. The two
 * models are generated here (the scripted tiny model, twice), never committed.
 */
import { generateScriptedModel } from "@parlance/tiny-model"
import OpenAI from "openai"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { tempDir } from "./cliHarness.js"
import { type Served, serveParlance } from "./spawnServe.js"

let served: Served
let client: OpenAI

beforeAll(async () => {
  const dir = tempDir("models-dir")
  await generateScriptedModel(join(dir, "first.gguf"))
  await generateScriptedModel(join(dir, "second.gguf"))
  writeFileSync(join(dir, "parlance.yaml"), "models_dir: .\nmodels_max: 1\n")
  served = await serveParlance([
    "--config",
    join(dir, "parlance.yaml"),
    "--threads",
    "1",
    "--ctx-size",
    "2048",
    "--gpu",
    "cpu"
  ])
  client = new OpenAI({ baseURL: served.baseUrl, apiKey: "unused", maxRetries: 0 })
}, 120_000)

afterAll(async () => {
  expect(await served?.stop()).toBe(0)
})

const loaded = async () =>
  Object.fromEntries(
    ((await (await fetch(`${served.baseUrl}/models`)).json()).data as Array<{ id: string; loaded: boolean }>).map(
      (m) => [m.id, m.loaded]
    )
  )

it("loads each model on first use, at most one at a time, unloading the least recently used", async () => {
  expect(await loaded()).toEqual({ first: false, second: false })

  const first = await client.responses.create({ model: "first", input: "Hello", max_output_tokens: 24 }).withResponse()
  expect(first.data.status).toBe("completed")
  expect(first.data.output_text).toContain("Hello! I am a small test model.")
  expect(first.response.headers.get("x-parlance-backend")).toBe("engine:first.gguf")
  expect(await loaded()).toEqual({ first: true, second: false })
  expect(served.output()).toMatch(/loading first: 100%/)

  const second = await client.responses.create({ model: "second", input: "Hello", max_output_tokens: 24 })
  expect(second.output_text).toContain("Hello! I am a small test model.")
  expect(served.output()).toContain("unloading first (least recently used; making room for second)")
  expect(await loaded()).toEqual({ first: false, second: true })

  // And back: the first loads again in its turn.
  const again = await client.responses.create({ model: "first", input: "Hello", max_output_tokens: 24 })
  expect(again.status).toBe("completed")
  expect(await loaded()).toEqual({ first: true, second: false })

  const unknown = await client.responses.create({ model: "third", input: "Hello" }).catch((e) => e)
  expect(unknown.status).toBe(404)
  expect(unknown.message).toContain("first, second")
}, 180_000)
