// Bun: replay every test vector shipped in @parlance/translate.
import { Vector } from "@parlance/translate"

const dir = new URL(".", import.meta.resolve("@parlance/translate/vectors/index.json"))
const read = (name) => Bun.file(new URL(name, dir)).json()

const results = []
for (const name of (await read("index.json")).vectors) results.push(Vector.replay(await read(name)))
const failed = results.filter((r) => r.mismatches.length > 0)
for (const r of failed) console.error(`${r.name}: ${r.mismatches.join("; ")}`)
console.log(`bun: ${results.length - failed.length}/${results.length} vectors replayed exactly`)
process.exit(failed.length > 0 ? 1 : 0)
