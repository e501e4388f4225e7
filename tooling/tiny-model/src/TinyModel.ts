/**
 * A deterministic, dependency-free generator of a tiny valid GGUF (llama arch, 64-dim, 2 layers, f32,
 * SentencePiece vocabulary, ChatML specials, a Hermes/Qwen-style chat template with tools and `<think>`).
 * Random weights: the text is nonsense, the mechanics (tokenizer, templates, grammars, KV cache) are real.
 * @since 0.1.0
 */
import * as internal from "./internal/tinyModel.js"

/**
 * The default seed; the same seed always yields byte-identical files.
 * @category constants
 */
export const DEFAULT_SEED: number = internal.DEFAULT_SEED

/**
 * Where `ensureTinyModel` keeps the model (`tooling/tiny-model/model/tiny.gguf`, gitignored).
 * @category constants
 */
export const defaultModelPath: string = internal.defaultModelPath

/**
 * The GGUF file's bytes for `seed`.
 * @category constructors
 */
export const encodeTinyModel: (seed?: number) => Uint8Array = internal.encodeTinyModel

/**
 * Write the tiny GGUF to `path` (atomically: temp file + rename).
 * @category constructors
 */
export const generateTinyModel: (path: string, seed?: number) => Promise<void> = internal.generateTinyModel

/**
 * Make sure `defaultModelPath` holds the current model (write it when missing or stale) and return its
 * absolute path.
 * @category constructors
 */
export const ensureTinyModel: () => Promise<string> = internal.ensureTinyModel
