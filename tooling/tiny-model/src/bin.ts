import { defaultModelPath, generateTinyModel } from "./TinyModel.js"

const path = process.argv[2] ?? defaultModelPath
await generateTinyModel(path)
console.log(path)
