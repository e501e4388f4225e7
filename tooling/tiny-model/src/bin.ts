import { defaultScriptedModelPath, defaultThinkingModelPath, generateScriptedModel } from "./ScriptedModel.js"
import { defaultModelPath, generateTinyModel } from "./TinyModel.js"

// `tsx src/bin.ts [path]` writes the random model to `path`; with no argument, all three default models.
const path = process.argv[2]
if (path !== undefined) {
  await generateTinyModel(path)
  console.log(path)
} else {
  await generateTinyModel(defaultModelPath)
  await generateScriptedModel(defaultScriptedModelPath)
  await generateScriptedModel(defaultThinkingModelPath, { think: true })
  console.log([defaultModelPath, defaultScriptedModelPath, defaultThinkingModelPath].join("\n"))
}
