/**
 * translate runs outside Node (docs/architecture.md#packages): bundled for the browser — the build
 * fails on any Node built-in — and run in a bare `node:vm` context that has no `require`, `process` or
 * `Buffer`, only what a browser has.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { build, type Plugin } from "esbuild"
import { readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, resolve } from "node:path"
import { createContext, runInContext } from "node:vm"
import type { Vector } from "./vectorReplay.js"

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

const vectors: Array<Vector> = readdirSync(join(root, "test", "vectors"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(join(root, "test", "vectors", f), "utf8")))

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

  it("runs in a context without require, process or Buffer, and replays every golden vector identically", () => {
    const context = createContext({
      ...browserGlobals(),
      vectorsJson: JSON.stringify(vectors.map(({ events: _events, ...source }) => source))
    })
    expect(
      runInContext("[typeof require, typeof process, typeof Buffer, typeof module, typeof global]", context)
    ).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"])
    runInContext(code, context, { filename: "parlance-translate.iife.js" })
    const out = runInContext(
      `(() => {
        const { Sequencer, ChunkDecode, Ids, Sse, validateStream } = Parlance
        return JSON.stringify(JSON.parse(vectorsJson).map((v) => {
          const ctx = {
            responseId: "resp_vector",
            createdAt: 1700000000,
            clock: () => 1700000001,
            model: "local-model",
            ids: Ids.counter(),
            reasoning: (v.context && v.context.reasoning) || "text",
            tools: new Map(Object.entries((v.context && v.context.tools) || {}))
          }
          const inputs = v.chunks.map((c) => (typeof c === "string" ? ChunkDecode.fromData(c) : ChunkDecode.fromJson(c)))
          if (v.outcome) inputs.push(Sequencer.failed(v.outcome.code, v.outcome.message))
          const { events } = Sequencer.run(ctx, inputs)
          // Through the SSE codec too: encode, decode, parse.
          const decoded = Sse.decodeText(events.map(Sse.encodeEvent).join("")).map((m) => JSON.parse(m.data))
          const random = Ids.random((bytes) => crypto.getRandomValues(bytes))("resp")
          return { name: v.name, events: decoded, violations: validateStream(events), random }
        }))
      })()`,
      context
    ) as string
    const results: Array<{ name: string; events: Array<unknown>; violations: Array<unknown>; random: string }> =
      JSON.parse(out)
    expect(results.map((r) => r.name)).toEqual(vectors.map((v) => v.name))
    results.forEach((r, i) => {
      expect(r.violations, r.name).toEqual([])
      expect(r.events, r.name).toEqual(vectors[i]!.events)
      expect(r.random).toMatch(/^resp_[0-9a-z]{24}$/)
    })
  })
})
