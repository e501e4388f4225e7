/**
 * `parlance serve --config FILE`: each kind of mistake stops the start with a message naming its line; the
 * published JSON Schema is the one generated from the Effect Schema, and it accepts what the decoder accepts.
 */
import Ajv2020Module from "ajv/dist/2020.js"
import * as Result from "effect/Result"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { jsonSchema, parse } from "../src/ConfigFile.js"
import { runCli, tempDir } from "./cliHarness.js"

const Ajv2020 = Ajv2020Module.default
const dir = tempDir("config")
const model = join(dir, "m.gguf")
writeFileSync(model, "")

const problems = (text: string, env: Record<string, string> = {}) => {
  const parsed = parse(text, join(dir, "parlance.yaml"), env)
  if (Result.isSuccess(parsed)) throw new Error("expected the file to be refused")
  return parsed.failure.problems
}

describe("config errors name their line", () => {
  it.each([
    [
      "an unknown key",
      "models:\n  - name: a\n    backends:\n      - upstream: http://x/v1\n        modle: m\n",
      5,
      "'models.0.backends.0.modle' is not a known key"
    ],
    ["an unknown top-level key", "modelz: []\n", 1, "'modelz' is not a known key"],
    [
      "a bad URL",
      "models:\n  - name: a\n    backends:\n      - upstream: not a url\n",
      4,
      "'not a url' is not an http(s) URL"
    ],
    [
      "a missing model file",
      "models:\n  - name: a\n    backends:\n      - engine: ./nope.gguf\n",
      4,
      "nope.gguf does not exist"
    ],
    ["a missing models folder", "models_dir: ./nowhere\n", 1, "nowhere does not exist"],
    [
      "a duplicate name",
      "models:\n  - name: a\n    backends: [{ engine: ./m.gguf }]\n  - name: a\n    backends: [{ engine: ./m.gguf }]\n",
      4,
      "the model name 'a' is used twice"
    ],
    [
      "a key written in the file",
      "models:\n  - name: a\n    backends:\n      - upstream: http://x/v1\n\n        api_key: sk-live-123\n",
      6,
      "a key must not be written in the file"
    ],
    [
      "an unset key variable",
      "models:\n  - name: a\n    backends:\n      - upstream: http://x/v1\n        api_key_env: PARLANCE_TEST_UNSET\n",
      5,
      "PARLANCE_TEST_UNSET is not set"
    ],
    ["a wrong type", "models_max: two\n", 1, "'models_max': Expected"],
    [
      "a weight that is not a finite share",
      "models:\n  - name: a\n    backends:\n      - engine: ./m.gguf\n        weight: .inf\n",
      5,
      "weight"
    ],
    [
      "weights on some backends only",
      "models:\n  - name: a\n    backends:\n      - engine: ./m.gguf\n        weight: 1\n      - engine: ./m.gguf\n",
      4,
      "give every backend a weight"
    ],
    ["a backend that is neither", "models:\n  - name: a\n    backends:\n      - model: x\n", 4, "either 'engine'"],
    ["broken YAML", "models:\n  - name: a\n   backends: [\n", 3, "YAML:"]
  ])("%s", (_, text, line, message) => {
    const found = problems(text)
    expect(found.map((p) => [p.line, p.message])).toContainEqual([line, expect.stringContaining(message)])
  })

  it("reports every problem at once, in line order", () => {
    const found = problems(
      "models:\n  - name: a\n    backends:\n      - upstream: ftp://x\n      - engine: ./nope.gguf\nmodels_max: 0\n"
    )
    expect(found.map((p) => p.line)).toEqual([4, 5, 6])
  })

  it("resolves a good file: paths from its folder, the key from the environment, labels made unique", () => {
    const parsed = parse(
      "models:\n  - name: a\n    backends:\n      - engine: ./m.gguf\n        ctx_size: 2048\n      - upstream: http://h:1/v1\n        api_key_env: K\n      - upstream: http://h:1/v1\nmodels_dir: .\nmodels_max: 2\nidle_unload: 300000\n",
      join(dir, "parlance.yaml"),
      { K: "secret" }
    )
    expect(Result.isSuccess(parsed) && parsed.success).toEqual({
      models: [
        {
          name: "a",
          backends: [
            expect.objectContaining({ kind: "engine", label: "engine:m.gguf", model, ctxSize: 2048 }),
            expect.objectContaining({ kind: "upstream", label: "upstream:h:1", model: "a", apiKey: "secret" }),
            expect.objectContaining({ kind: "upstream", label: "upstream:h:1#2", apiKey: undefined })
          ]
        }
      ],
      modelsDir: dir,
      modelsMax: 2,
      loadTimeoutMs: undefined,
      idleUnloadMs: 300000
    })
  })

  it("takes JSON as well", () => {
    const parsed = parse(
      JSON.stringify({ models: [{ name: "j", backends: [{ upstream: "http://h/v1" }] }] }),
      join(dir, "p.json")
    )
    expect(Result.isSuccess(parsed)).toBe(true)
  })

  it("stops `parlance serve --config` before it listens, exit 2, naming file and line", async () => {
    const file = join(dir, "bad.yaml")
    writeFileSync(
      file,
      "models:\n  - name: a\n    backends:\n      - upstream: http://127.0.0.1:9/v1\n        api_key: sk-123\n"
    )
    const result = await runCli(["serve", "--config", file, "--port", "0", "--store", "memory"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${file}:5: 'models.0.backends.0.api_key': a key must not be written in the file`)
    expect(result.stdout).not.toContain("listening")
  })
})

describe("the published JSON Schema", () => {
  const committed = JSON.parse(readFileSync(join(import.meta.dirname, "../parlance.schema.json"), "utf8"))

  it("is the one generated from the Effect Schema (pnpm --filter @parlance/cli config-schema)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(jsonSchema())))
  })

  it("accepts the README's kind of file and refuses an unknown key, as the decoder does", () => {
    const validate = new Ajv2020({ strict: false }).compile(committed)
    const good = {
      models: [
        { name: "local", backends: [{ engine: "./m.gguf", ctx_size: 8192 }] },
        {
          name: "coder",
          backends: [
            { upstream: "http://127.0.0.1:8081/v1", model: "c" },
            { upstream: "https://api.openai.com/v1", api_key_env: "OPENAI_API_KEY" }
          ]
        }
      ],
      models_dir: "./models",
      models_max: 2
    }
    expect(validate(good)).toBe(true)
    expect(validate({ ...good, extra: 1 })).toBe(false)
    expect(validate({ models: [{ name: "a", backends: [{ upstream: "http://x", api_key: "sk" }] }] })).toBe(false)
  })
})
