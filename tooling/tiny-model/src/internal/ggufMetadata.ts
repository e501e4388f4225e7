/** GGUF metadata shared by both generated models: the value constructors and the tokenizer block (same vocabulary, same template). */
import { chatTemplate } from "./chatTemplate.js"
import type { MetadataValue } from "./ggufWriter.js"
import type { Vocabulary } from "./vocabulary.js"

export const u32 = (value: number): MetadataValue => ({ type: "u32", value })
export const f32 = (value: number): MetadataValue => ({ type: "f32", value })
export const str = (value: string): MetadataValue => ({ type: "string", value })

/** The `tokenizer.*` keys, last in each file (their order is part of the byte-identical output). */
export const tokenizerMetadata = (vocab: Vocabulary): Array<readonly [string, MetadataValue]> => [
  ["tokenizer.ggml.model", str("llama")],
  ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
  ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
  ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
  ["tokenizer.ggml.bos_token_id", u32(vocab.bos)],
  ["tokenizer.ggml.eos_token_id", u32(vocab.eos)],
  ["tokenizer.ggml.unknown_token_id", u32(vocab.unk)],
  ["tokenizer.ggml.padding_token_id", u32(vocab.pad)],
  ["tokenizer.ggml.add_bos_token", { type: "bool", value: false }],
  ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
  ["tokenizer.ggml.add_space_prefix", { type: "bool", value: false }],
  ["tokenizer.chat_template", str(chatTemplate)]
]
