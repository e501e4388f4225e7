/**
 * translate runs outside Node (docs/architecture.md#packages): bundled for the browser — the build
 * fails on any Node built-in — and run in a bare `node:vm` context that has no `require`, `process` or
 * `Buffer`, only what a browser has.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { build, type Plugin } from "esbuild"
import { builtinModules } from "node:module"
import { join, relative, resolve } from "node:path"
import { createContext, runInContext } from "node:vm"
import { readVectors } from "./vectorReplay.js"

const root = join(import.meta.dirname, "..")
const builtins = new Set(builtinModules)

/** Any import of a Node built-in (`fs`, `node:path`, `buffer`…) fails the build, whatever the platform would allow. */
const noNodeBuiltins: Plugin = {
  name: "no-node-builtins",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, "").split("/")[0]!
      if (
        args.path.startsWith("node:") ||
        builtins.has(args.path) ||
        (builtins.has(bare) && !args.path.startsWith("."))
      ) {
        return {
          errors: [{ text: `translate must not import the Node built-in '${args.path}' (from ${args.importer})` }]
        }
      }
      return undefined
    })
  }
}

const bundle = (entry: string) =>
  build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "Parlance",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [noNodeBuiltins]
  })

/** The globals of a browser page (or worker) that translate may touch — nothing Node-only. */
const browserGlobals = () => ({
  TextDecoder,
  TextEncoder,
  URL,
  URLSearchParams,
  AbortController,
  console,
  crypto: { getRandomValues: (array: Uint8Array) => crypto.getRandomValues(array) },
  queueMicrotask,
  setTimeout,
  clearTimeout,
  performance: { now: () => performance.now() }
})

const vectors = readVectors()

describe("portability", () => {
  let code = ""
  let inputs: ReadonlyArray<string> = []

  beforeAll(async () => {
    const result = await bundle(join(root, "src", "index.ts"))
    code = result.outputFiles[0]!.text
    inputs = Object.keys(result.metafile.inputs)
  })

  it("bundles for the browser from translate, schema, effect and eventsource-parser only", () => {
    expect(code.length).toBeGreaterThan(0)
    const origin = (input: string): string => {
      const pkg = input.split("node_modules/").at(-1)!
      if (pkg !== input) return pkg.startsWith("@") ? pkg.split("/").slice(0, 2).join("/") : pkg.split("/")[0]!
      return relative(join(root, ".."), resolve(input)).split("/src/")[0]!
    }
    expect([...new Set(inputs.map(origin))].sort()).toEqual(["effect", "eventsource-parser", "schema", "translate"])
  })

  it("the build fails when a module imports a Node built-in", async () => {
    const dir = join(root, "test", "fixtures", "portable")
    await expect(bundle(join(dir, "imports-node-builtin.ts"))).rejects.toThrow(
      /must not import the Node built-in 'node:fs'/
    )
    await expect(bundle(join(dir, "imports-bare-builtin.ts"))).rejects.toThrow(
      /must not import the Node built-in 'buffer'/
    )
  })

  it("runs in a context without require, process or Buffer, and replays every vector identically", () => {
    const context = createContext({ ...browserGlobals(), vectorsJson: JSON.stringify(vectors) })
    expect(
      runInContext("[typeof require, typeof process, typeof Buffer, typeof module, typeof global]", context)
    ).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"])
    runInContext(code, context, { filename: "parlance-translate.iife.js" })
    // Each vector's own context, read from the file by Vector.replay: nothing is written here.
    const out = runInContext(
      `(() => {
        const { Vector, Ids, Sse, validateStream } = Parlance
        return JSON.stringify(JSON.parse(vectorsJson).map((v) => {
          const { mismatches, actual } = Vector.replay(v)
          const random = Ids.random((bytes) => crypto.getRandomValues(bytes))("resp")
          if (v.kind !== "stream") return { name: v.name, mismatches, random }
          // Through the SSE codec too: encode, decode, parse.
          const decoded = Sse.decodeText(actual.map(Sse.encodeEvent).join("")).map((m) => JSON.parse(m.data))
          return { name: v.name, mismatches, events: decoded, violations: validateStream(actual), random }
        }))
      })()`,
      context
    ) as string
    const results: Array<{
      name: string
      mismatches: Array<string>
      events?: Array<unknown>
      violations?: Array<unknown>
      random: string
    }> = JSON.parse(out)
    expect(results.map((r) => r.name)).toEqual(vectors.map((v) => v.name))
    expect(results.filter((r) => r.events !== undefined).length).toBeGreaterThanOrEqual(20)
    results.forEach((r, i) => {
      const vector = vectors[i]!
      expect(r.mismatches, r.name).toEqual([])
      if (vector.kind === "stream") {
        expect(r.violations, r.name).toEqual([])
        expect(r.events, r.name).toEqual(vector.events)
      }
      expect(r.random).toMatch(/^resp_[0-9a-z]{24}$/)
    })
  })
})
