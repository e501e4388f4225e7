// Browser: bundle with esbuild (platform "browser"), serve the package's vectors/ beside the page.
import { Vector } from "@parlance/translate"

const read = async (name) => (await fetch(new URL(`vectors/${name}`, document.baseURI))).json()

const results = []
for (const name of (await read("index.json")).vectors) results.push(Vector.replay(await read(name)))
const failed = results.filter((r) => r.mismatches.length > 0)
for (const r of failed) console.error(`${r.name}: ${r.mismatches.join("; ")}`)
const summary = `browser: ${results.length - failed.length}/${results.length} vectors replayed exactly`
console.log(summary)
document.body.dataset.result = failed.length > 0 ? "fail" : "pass"
document.querySelector("output").textContent = summary
