/**
 * Build step (run by the root postinstall): writes the scripted tiny model into this package's own
 * `assets/`, where `parlance serve` finds its offline demo model with `new URL(…, import.meta.url)` — the CLI
 * never reads tooling/ or any other repository path at run time.
 */
import { generateScriptedModel } from "@parlance/tiny-model"
import { fileURLToPath } from "node:url"

const path = fileURLToPath(new URL("../assets/demo-model.gguf", import.meta.url))
await generateScriptedModel(path)
console.log(path)
