import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { f32, str, tokenizerMetadata, u32 } from "./ggufMetadata.js"
import { encodeGguf, type MetadataValue } from "./ggufWriter.js"
import { HEAD_DIM } from "./residual.js"
import { makeScriptedTensors, SCRIPTED } from "./scriptedWeights.js"
import { ensureFile, writeAtomically } from "./tinyModel.js"
import { makeVocabulary } from "./vocabulary.js"

export interface ScriptedModelOptions {
  /** The variant that thinks (`<think>\nOK.\n</think>`) before its plain answer. */
  readonly think?: boolean
}

export const encodeScriptedModel = (options: ScriptedModelOptions = {}): Uint8Array => {
  const vocab = makeVocabulary()
  const think = options.think === true
  const { nEmbd, nLayer, nHead, nFf, ropeBase, contextLength } = SCRIPTED
  const metadata: Array<readonly [string, MetadataValue]> = [
    ["general.architecture", str("llama")],
    ["general.name", str(think ? "parlance-scripted-think" : "parlance-scripted")],
    ["general.file_type", u32(0)],
    ["general.alignment", u32(32)],
    ["llama.vocab_size", u32(vocab.tokens.length)],
    ["llama.context_length", u32(contextLength)],
    ["llama.embedding_length", u32(nEmbd)],
    ["llama.block_count", u32(nLayer)],
    ["llama.feed_forward_length", u32(nFf)],
    ["llama.attention.head_count", u32(nHead)],
    ["llama.attention.head_count_kv", u32(nHead)],
    ["llama.attention.key_length", u32(HEAD_DIM)],
    ["llama.attention.value_length", u32(HEAD_DIM)],
    ["llama.attention.layer_norm_rms_epsilon", f32(1e-5)],
    ["llama.rope.dimension_count", u32(HEAD_DIM)],
    ["llama.rope.freq_base", f32(ropeBase)],
    ...tokenizerMetadata(vocab)
  ]
  return encodeGguf(metadata, makeScriptedTensors(vocab, { think }))
}

export const generateScriptedModel = (path: string, options: ScriptedModelOptions = {}): Promise<void> =>
  writeAtomically(path, encodeScriptedModel(options))

const modelDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../model")
export const defaultScriptedModelPath: string = Path.join(modelDir, "scripted.gguf")
export const defaultThinkingModelPath: string = Path.join(modelDir, "scripted-think.gguf")

export const ensureScriptedModel = (options: ScriptedModelOptions = {}): Promise<string> =>
  ensureFile(options.think === true ? defaultThinkingModelPath : defaultScriptedModelPath, () =>
    encodeScriptedModel(options)
  )
