/**
 * The runtime examples, run by `checkRuntimes` in a project where `@parlance/translate` is installed as an
 * esbuild-bundled ESM build of the sources (what a published build gives, without workspace links): every
 * runtime replays every shipped vector, and every runtime fails when a vector no longer replays.
 */
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkRuntimes } from "../src/runtimes.js"

const translate = join(import.meta.dirname, "../../../packages/translate")
const count = JSON.parse(readFileSync(join(translate, "vectors/index.json"), "utf8")).vectors.length

/** A fresh project with @parlance/translate in node_modules: one ESM file, its vectors, its exports. */
const project = async (alter?: (vectorsDir: string) => void): Promise<string> => {
  const dir = mkdtempSync(join(tmpdir(), "parlance-runtimes-"))
  const pkg = join(dir, "node_modules/@parlance/translate")
  mkdirSync(pkg, { recursive: true })
  await build({
    entryPoints: [join(translate, "src/index.ts")],
    outfile: join(pkg, "dist/index.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "silent"
  })
  cpSync(join(translate, "vectors"), join(pkg, "vectors"), { recursive: true })
  alter?.(join(pkg, "vectors"))
  const exports = { ".": "./dist/index.js", "./vectors/*": "./vectors/*" }
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "@parlance/translate", version: "0.1.0", type: "module", exports })
  )
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "runtime-check",
      private: true,
      type: "module",
      dependencies: { "@parlance/translate": "0.1.0" }
    })
  )
  return dir
}

describe("checkRuntimes", () => {
  it("Node, Deno, Bun and headless Chromium each replay every shipped vector", async () => {
    const results = await checkRuntimes(await project())
    expect(results.map((r) => [r.runtime, r.ok, r.summary])).toEqual(
      (["node", "deno", "bun", "browser"] as const).map((runtime) => [
        runtime,
        true,
        `${runtime}: ${count}/${count} vectors replayed exactly`
      ])
    )
  }, 180_000)

  it("each fails, naming the vector, when one no longer replays", async () => {
    const results = await checkRuntimes(
      await project((vectors) => {
        const file = join(vectors, "plain-text.json")
        const vector = JSON.parse(readFileSync(file, "utf8"))
        vector.context.clock = [1]
        writeFileSync(file, JSON.stringify(vector))
      })
    )
    for (const r of results) {
      expect(r.ok, r.runtime).toBe(false)
      expect(r.summary).toBe(`${r.runtime}: ${count - 1}/${count} vectors replayed exactly`)
      expect(r.output).toMatch(/plain-text: events\[\d+\]\.response\.completed_at: 1 ≠ 1700000001/)
    }
  }, 180_000)
})
