import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { f32, str, tokenizerMetadata, u32 } from "./ggufMetadata.js"
import { encodeGguf, type MetadataValue } from "./ggufWriter.js"
import { makeVocabulary } from "./vocabulary.js"
import { makeTensors } from "./weights.js"

export const DEFAULT_SEED = 0x5eed

export const encodeTinyModel = (seed: number = DEFAULT_SEED): Uint8Array => {
  const vocab = makeVocabulary()
  const hp = { nEmbd: 64, nLayer: 2, nHead: 4, nFf: 128, nVocab: vocab.tokens.length }
  const silent = vocab.types.flatMap((type, id) => (type === 1 ? [] : [id]))
  const metadata: Array<readonly [string, MetadataValue]> = [
    ["general.architecture", str("llama")],
    ["general.name", str("parlance-tiny")],
    ["general.file_type", u32(0)],
    ["general.alignment", u32(32)],
    ["llama.vocab_size", u32(hp.nVocab)],
    ["llama.context_length", u32(2048)],
    ["llama.embedding_length", u32(hp.nEmbd)],
    ["llama.block_count", u32(hp.nLayer)],
    ["llama.feed_forward_length", u32(hp.nFf)],
    ["llama.attention.head_count", u32(hp.nHead)],
    ["llama.attention.head_count_kv", u32(hp.nHead)],
    ["llama.attention.layer_norm_rms_epsilon", f32(1e-5)],
    ["llama.rope.dimension_count", u32(hp.nEmbd / hp.nHead)],
    ["llama.rope.freq_base", f32(10000)],
    ...tokenizerMetadata(vocab)
  ]
  return encodeGguf(metadata, makeTensors(hp, seed, silent))
}

export const generateTinyModel = (path: string, seed: number = DEFAULT_SEED): Promise<void> =>
  writeAtomically(path, encodeTinyModel(seed))

export const writeAtomically = async (path: string, bytes: Uint8Array): Promise<void> => {
  await Fs.mkdir(Path.dirname(path), { recursive: true })
  // Write then rename: concurrent test workers never see a half-written file.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  await Fs.writeFile(tmp, bytes)
  await Fs.rename(tmp, path)
}

export const defaultModelPath: string = Path.resolve(
  Path.dirname(fileURLToPath(import.meta.url)),
  "../../model/tiny.gguf"
)

const sameBytes = async (path: string, expected: Uint8Array): Promise<boolean> => {
  try {
    const actual = await Fs.readFile(path)
    return Buffer.compare(actual, expected) === 0
  } catch {
    return false
  }
}

/** Make sure `path` holds exactly `encode()`'s bytes (write it when missing or stale); returns `path`. */
export const ensureFile = async (path: string, encode: () => Uint8Array): Promise<string> => {
  const expected = encode()
  if (!(await sameBytes(path, expected))) await writeAtomically(path, expected)
  return path
}

export const ensureTinyModel = (): Promise<string> => ensureFile(defaultModelPath, () => encodeTinyModel())
