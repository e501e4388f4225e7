/** Writes `parlance.schema.json`, the JSON Schema of `parlance serve --config` files, from its Effect Schema. */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { jsonSchema } from "../src/ConfigFile.js"

const target = join(import.meta.dirname, "../parlance.schema.json")
writeFileSync(target, `${JSON.stringify(jsonSchema(), null, 2)}\n`)
console.log(target)
