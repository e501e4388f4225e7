/** Writes test/vectors/<name>.json from vectorSources.ts. Review the diff before committing. */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { checkExpect, replay } from "./vectorReplay.js"
import { sources } from "./vectorSources.js"

for (const source of sources) {
  const { events, response } = replay(source)
  const problems = checkExpect(source.expect, response)
  if (problems.length > 0) throw new Error(`${source.name}: ${problems.join("; ")}`)
  const file = join(import.meta.dirname, "vectors", `${source.name}.json`)
  writeFileSync(file, `${JSON.stringify({ ...source, events }, null, 2)}\n`)
}
console.log(`wrote ${sources.length} vectors`)
