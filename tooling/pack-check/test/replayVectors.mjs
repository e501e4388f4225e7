// Runs in a project where @parlance/translate was installed from its tarball, under plain Node (no TypeScript,
// no bundler): replays every golden vector in the directory given as argv[2] through the published API and
// checks the events are exactly the recorded ones and strict-clean. Prints "<n> vectors replayed".
// (The vector context below is the one the repository's tests use: test/vectorReplay.ts.)
import { ChunkDecode, checkStream, Ids, Sequencer } from "@parlance/translate"
import { deepStrictEqual } from "node:assert/strict"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const dir = process.argv[2]
const files = readdirSync(dir).filter((f) => f.endsWith(".json"))
for (const file of files) {
  const vector = JSON.parse(readFileSync(join(dir, file), "utf8"))
  const context = {
    responseId: "resp_vector",
    createdAt: 1_700_000_000,
    clock: () => 1_700_000_001,
    model: "local-model",
    ids: Ids.counter(),
    reasoning: vector.context?.reasoning ?? "text",
    tools: new Map(Object.entries(vector.context?.tools ?? {}))
  }
  const inputs = [
    ...vector.chunks.map((c) => (typeof c === "string" ? ChunkDecode.fromData(c) : ChunkDecode.fromJson(c))),
    ...(vector.outcome ? [Sequencer.failed(vector.outcome.code, vector.outcome.message)] : [])
  ]
  const { events } = Sequencer.run(context, inputs)
  deepStrictEqual(JSON.parse(JSON.stringify(events)), vector.events, `${file}: the replayed events differ`)
  deepStrictEqual(checkStream(events), [], `${file}: the checker flags the replayed stream`)
}
console.log(`${files.length} vectors replayed`)
