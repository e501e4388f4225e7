// Node: replay every test vector shipped in @parlance/translate.
import { readFileSync } from "node:fs"
import { Vector } from "@parlance/translate"

const dir = new URL(".", import.meta.resolve("@parlance/translate/vectors/index.json"))
const read = (name) => JSON.parse(readFileSync(new URL(name, dir), "utf8"))

const results = read("index.json").vectors.map((name) => Vector.replay(read(name)))
const failed = results.filter((r) => r.mismatches.length > 0)
for (const r of failed) console.error(`${r.name}: ${r.mismatches.join("; ")}`)
console.log(`node: ${results.length - failed.length}/${results.length} vectors replayed exactly`)
process.exitCode = failed.length > 0 ? 1 : 0
