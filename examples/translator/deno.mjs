// Deno (deno run --allow-read deno.mjs): replay every test vector shipped in @parlance/translate.
import { Vector } from "@parlance/translate"

const dir = new URL(".", import.meta.resolve("@parlance/translate/vectors/index.json"))
const read = (name) => JSON.parse(Deno.readTextFileSync(new URL(name, dir)))

const results = read("index.json").vectors.map((name) => Vector.replay(read(name)))
const failed = results.filter((r) => r.mismatches.length > 0)
for (const r of failed) console.error(`${r.name}: ${r.mismatches.join("; ")}`)
console.log(`deno: ${results.length - failed.length}/${results.length} vectors replayed exactly`)
Deno.exit(failed.length > 0 ? 1 : 0)
