/** The README's "Use the translator in your own code" examples are the files CI runs, word for word. */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { examplesDir } from "../src/runtimes.js"

const readme = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8")
const section = readme.slice(
  readme.indexOf("## Use the translator in your own code"),
  readme.indexOf("## Test vectors")
)
const blocks = [...section.matchAll(/```js\n([\s\S]*?)\n```/g)].map((m) => m[1])

describe("README examples", () => {
  it("are examples/translator's node, deno, bun and browser files", () => {
    const files = ["node.mjs", "deno.mjs", "bun.mjs", "browser/main.mjs"].map((f) =>
      readFileSync(join(examplesDir, f), "utf8").trimEnd()
    )
    expect(blocks).toEqual(files)
  })
})
