/**
 * Writes vectors/<name>.json from vectorSources.ts (stream vectors) and requestVectorSources.ts (request
 * vectors), and vectors/vector.schema.json from the Vector schema. Review the diff before committing.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Vector from "../src/Vector.js"
import { requestSources } from "./requestVectorSources.js"
import { checkExpect, responseOf } from "./vectorReplay.js"
import { sources } from "./vectorSources.js"

const dir = join(import.meta.dirname, "..", "vectors")
const write = (name: string, value: unknown) =>
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`)

for (const source of sources) {
  const vector = Vector.fromChunks({
    name: source.name,
    description: source.description,
    chunks: source.chunks,
    ...(source.outcome !== undefined ? { outcome: source.outcome } : {}),
    expect: source.expect as unknown as Record<string, unknown>,
    ...(source.context !== undefined ? { context: source.context } : {})
  })
  const problems = checkExpect(source.expect, responseOf(vector.events))
  if (problems.length > 0) throw new Error(`${source.name}: ${problems.join("; ")}`)
  write(source.name, vector)
}
for (const source of requestSources) write(source.name, Vector.fromRequest(source))
write("vector.schema", Vector.jsonSchema())
// The list a reader without a directory listing (a browser, a fetch) starts from.
write("index", { vectors: [...sources, ...requestSources].map((s) => `${s.name}.json`).sort() })
console.log(`wrote ${sources.length} stream and ${requestSources.length} request vectors, and the schema`)
