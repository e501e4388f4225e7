/**
 * What a browser pays for the translator: an esbuild bundle (browser platform, ESM, minified) of `Sequencer` + `Sse`,
 * its gzipped size, and how much of it is Effect, against the same bundle of `Sse` alone (the part that needs no
 * Effect) as the baseline of this run. Numbers, not assertions.
 *
 *   pnpm --filter @parlance/translate bench        (BENCH_TRANSLATE_SRC=<dir> bundles another checkout's src/)
 */
import { build } from "esbuild"
import { gzipSync } from "node:zlib"

const src = process.env.BENCH_TRANSLATE_SRC ?? new URL("../src/", import.meta.url).pathname

const bundle = async (contents: string) => {
  const result = await build({
    stdin: { contents, resolveDir: src, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent"
  })
  const code = result.outputFiles[0]!.contents
  const effectBytes = Object.entries(result.metafile.outputs)[0]![1].inputs
  let fromEffect = 0
  for (const [path, input] of Object.entries(effectBytes))
    if (/node_modules\/(\.pnpm\/)?effect/.test(path)) fromEffect += input.bytesInOutput
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength, fromEffect }
}

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`
const full = await bundle(`export * as Sequencer from "./Sequencer.js"\nexport * as Sse from "./Sse.js"`)
const sseOnly = await bundle(`export * as Sse from "./Sse.js"`)
console.log(`browser bundle of Sequencer + Sse (${src})`)
console.log(
  `  minified ${kB(full.minified)}, gzipped ${kB(full.gzipped)}; Effect's share of the minified code ${kB(full.fromEffect)}`
)
console.log(`  baseline, Sse alone: minified ${kB(sseOnly.minified)}, gzipped ${kB(sseOnly.gzipped)}`)
console.log(`  ratio (Sequencer + Sse ÷ Sse alone, gzipped): ${(full.gzipped / sseOnly.gzipped).toFixed(2)}×`)
