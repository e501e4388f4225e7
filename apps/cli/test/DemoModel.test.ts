/** The offline demo model lives in the user's cache directory, written on first use and kept while current. */
import { describe, expect, it } from "@effect/vitest"
import { ScriptedModel } from "@parlance/tiny-model"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cacheDir, demoModelPath, ensureDemoModel } from "../src/internal/demoModel.js"
import { tempDir } from "./cliHarness.js"

describe("the demo model's cache directory", () => {
  it("is PARLANCE_CACHE_DIR, else $XDG_CACHE_HOME/parlance, else ~/.cache/parlance", () => {
    expect(cacheDir({ PARLANCE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/c")
    expect(cacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/parlance")
    expect(cacheDir({ XDG_CACHE_HOME: "" })).toMatch(/[/\\]\.cache[/\\]parlance$/)
    expect(demoModelPath({ PARLANCE_CACHE_DIR: "/c" })).toBe(join("/c", "demo-model.gguf"))
  })

  it("is written on first use, kept while current, rewritten when it differs", async () => {
    const path = join(tempDir("demo"), "nested", "demo-model.gguf")
    const expected = ScriptedModel.encodeScriptedModel()
    expect(await ensureDemoModel(path)).toBe(path)
    expect(Buffer.compare(readFileSync(path), expected)).toBe(0)
    const written = statSync(path).mtimeMs
    await new Promise((r) => setTimeout(r, 20))
    await ensureDemoModel(path)
    expect(statSync(path).mtimeMs).toBe(written)
    writeFileSync(path, "stale")
    await ensureDemoModel(path)
    expect(Buffer.compare(readFileSync(path), expected)).toBe(0)
  })
})
