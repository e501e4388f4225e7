import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { getLlama, JinjaTemplateChatWrapper, LlamaChat } from "node-llama-cpp"
import { TinyModel } from "../src/index.js"

describe("TinyModel", () => {
  it("the same seed yields byte-identical files; another seed differs", async () => {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "tiny-model-"))
    const a = Path.join(dir, "a.gguf")
    const b = Path.join(dir, "b.gguf")
    await TinyModel.generateTinyModel(a)
    await TinyModel.generateTinyModel(b)
    const [bytesA, bytesB] = await Promise.all([Fs.readFile(a), Fs.readFile(b)])
    expect(Buffer.compare(bytesA, bytesB)).toBe(0)
    expect(bytesA.subarray(0, 4).toString("latin1")).toBe("GGUF")
    expect(bytesA.readUInt32LE(4)).toBe(3)
    expect(bytesA.length).toBeLessThan(2 * 1024 * 1024)
    expect(Buffer.compare(Buffer.from(TinyModel.encodeTinyModel(7)), bytesA)).not.toBe(0)
    await Fs.rm(dir, { recursive: true })
  })

  it("ensureTinyModel writes the default path once and returns it", async () => {
    const path = await TinyModel.ensureTinyModel()
    expect(path).toBe(TinyModel.defaultModelPath)
    expect(Path.isAbsolute(path)).toBe(true)
    const mtime = (await Fs.stat(path)).mtimeMs
    expect(await TinyModel.ensureTinyModel()).toBe(path)
    expect((await Fs.stat(path)).mtimeMs).toBe(mtime)
  })

  it("loads in node-llama-cpp: SPM vocabulary, ChatML specials, Jinja wrapper with tool calls and thoughts", async () => {
    const llama = await getLlama({ gpu: false, build: "never" })
    const model = await llama.loadModel({ modelPath: await TinyModel.ensureTinyModel() })
    try {
      const meta = model.fileInfo.metadata
      expect(meta.general.architecture).toBe("llama")
      expect(model.fileInsights.totalLayers).toBe(3)
      expect(model.trainContextSize).toBe(2048)
      expect(model.detokenize([model.tokens.eos!], true)).toBe("<|im_end|>")
      // Words tokenize to whole pieces, specials to one token each.
      const words = model.tokenize("Hello world, what is the weather in Paris?")
      expect(words.length).toBeLessThanOrEqual(11)
      expect(model.detokenize(words)).toBe("Hello world, what is the weather in Paris?")
      expect(model.tokenize("<|im_start|>user", true).length).toBe(2)
      expect(model.detokenize(model.tokenize("naïve ✓ \u{1F600}"))).toBe("naïve ✓ \u{1F600}")
      const context = await model.createContext({ contextSize: 512, threads: Os.availableParallelism() })
      const chat = new LlamaChat({ contextSequence: context.getSequence() })
      expect(chat.chatWrapper).toBeInstanceOf(JinjaTemplateChatWrapper)
      const settings = chat.chatWrapper.settings
      expect(JSON.stringify(settings.functions.call.prefix)).toContain("<tool_call>")
      expect(JSON.stringify(settings.segments?.thought?.prefix)).toContain("<think>")
      const result = await chat.generateResponse([{ type: "user", text: "Hello" }], { maxTokens: 5 })
      expect(result.metadata.stopReason).toBe("maxTokens")
      await context.dispose()
    } finally {
      await model.dispose()
    }
  })
})
