import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  type ChatHistoryItem,
  type ChatModelFunctions,
  getLlama,
  JinjaTemplateChatWrapper,
  type LlamaContext,
  LlamaChat,
  type LlamaModel
} from "node-llama-cpp"
import { ScriptedModel } from "../src/index.js"

const cityTool = (name: string): ChatModelFunctions[string] => ({
  description: `The ${name} tool`,
  params: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
})
const tools = (...names: Array<string>): ChatModelFunctions => Object.fromEntries(names.map((n) => [n, cityTool(n)]))
const user = (text: string): ChatHistoryItem => ({ type: "user", text })

describe("ScriptedModel: the file", { timeout: 120_000 }, () => {
  it("byte-identical per build; the thinking variant differs; small", async () => {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "scripted-model-"))
    const a = Path.join(dir, "a.gguf")
    await ScriptedModel.generateScriptedModel(a)
    const bytes = await Fs.readFile(a)
    expect(Buffer.compare(bytes, Buffer.from(ScriptedModel.encodeScriptedModel()))).toBe(0)
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("GGUF")
    expect(bytes.length).toBeLessThan(20 * 1024 * 1024)
    expect(Buffer.compare(bytes, Buffer.from(ScriptedModel.encodeScriptedModel({ think: true })))).not.toBe(0)
    await Fs.rm(dir, { recursive: true })
  })

  it("ensureScriptedModel keeps each variant at its default path", async () => {
    expect(await ScriptedModel.ensureScriptedModel()).toBe(ScriptedModel.defaultScriptedModelPath)
    expect(await ScriptedModel.ensureScriptedModel({ think: true })).toBe(ScriptedModel.defaultThinkingModelPath)
  })
})

// Generous timeouts: each generation is quick, but CI machines can be slow and shared.
describe("ScriptedModel in node-llama-cpp", { timeout: 180_000 }, () => {
  let model: LlamaModel
  let thinking: LlamaModel
  let context: LlamaContext
  let thinkingContext: LlamaContext
  let chat: LlamaChat
  let thinkingChat: LlamaChat
  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: "never" })
    model = await llama.loadModel({ modelPath: await ScriptedModel.ensureScriptedModel() })
    thinking = await llama.loadModel({ modelPath: await ScriptedModel.ensureScriptedModel({ think: true }) })
    context = await model.createContext({ contextSize: 4096, threads: 1 })
    thinkingContext = await thinking.createContext({ contextSize: 2048, threads: 1 })
    chat = new LlamaChat({ contextSequence: context.getSequence() })
    thinkingChat = new LlamaChat({ contextSequence: thinkingContext.getSequence() })
  }, 120_000)
  afterAll(async () => {
    await context?.dispose()
    await thinkingContext?.dispose()
    await model?.dispose()
    await thinking?.dispose()
  })

  // One chat per model; each call starts from an empty KV cache so no test depends on another's prefix.
  const generate = async (
    history: Array<ChatHistoryItem>,
    options: { functions?: ChatModelFunctions; temperature: number; think?: boolean }
  ) => {
    const target = options.think === true ? thinkingChat : chat
    await target.sequence.clearHistory()
    return target.generateResponse(history, {
      temperature: options.temperature,
      seed: 7,
      maxTokens: 300,
      ...(options.functions === undefined ? {} : { functions: options.functions })
    })
  }

  it("loads: llama, 3 blocks, the shared vocabulary and template (Jinja wrapper with calls and thoughts)", async () => {
    expect(model.fileInfo.metadata.general.architecture).toBe("llama")
    expect(model.fileInsights.totalLayers).toBe(4)
    expect(model.trainContextSize).toBe(32768)
    expect(model.detokenize(model.tokenize(ScriptedModel.ANSWER_TEXT))).toBe(ScriptedModel.ANSWER_TEXT)
    expect(model.tokenize("<|im_start|>assistant\n", true).length).toBe(3)
    expect(chat.chatWrapper).toBeInstanceOf(JinjaTemplateChatWrapper)
    expect(chat.chatWrapper.settings.functions.call.prefix).toBeDefined()
  })

  for (const temperature of [0, 1]) {
    describe(`temperature ${temperature}`, () => {
      it("a plain prompt (with or without a system message) → the fixed answer, then end of turn", async () => {
        for (const history of [
          [user("Hello")],
          [{ type: "system", text: "Be brief." } as const, user("Hi there, who are you?")]
        ]) {
          const result = await generate(history, { temperature })
          expect(result.metadata.stopReason).toBe("eogToken")
          expect(result.response).toBe(ScriptedModel.ANSWER_TEXT)
        }
      })

      it("tools offered → a call of the FIRST listed tool (not the alphabetically first), the city copied", async () => {
        const cases: Array<[Array<string>, string]> = [
          [["zeta_tool", "alpha_tool"], "zeta_tool"],
          [["alpha_tool", "zeta_tool"], "alpha_tool"],
          [["look", "lookup"], "look"],
          [["lookup", "look"], "lookup"]
        ]
        for (const [names, expected] of cases) {
          const result = await generate([user("What is the weather in Paris?")], {
            functions: tools(...names),
            temperature
          })
          expect(result.metadata.stopReason).toBe("functionCalls")
          expect(result.functionCalls?.map((c) => [c.functionName, c.params])).toEqual([[expected, { city: "Paris" }]])
        }
      })

      it("the last turn a tool result → the fixed tool-result answer, then end of turn", async () => {
        const history: Array<ChatHistoryItem> = [
          user("What is the weather in Paris?"),
          {
            type: "model",
            response: [
              { type: "functionCall", name: "get_weather", params: { city: "Paris" }, result: { celsius: 21 } }
            ]
          }
        ]
        const result = await generate(history, { functions: tools("get_weather"), temperature })
        expect(result.metadata.stopReason).toBe("eogToken")
        expect(result.response).toBe(ScriptedModel.TOOL_RESULT_TEXT)
      })

      it("the thinking variant thinks first, then answers or calls the first tool", async () => {
        const thought = expect.objectContaining({
          type: "segment",
          segmentType: "thought",
          text: ScriptedModel.THOUGHT_TEXT,
          ended: true
        })
        const result = await generate([user("Hello")], { temperature, think: true })
        expect(result.metadata.stopReason).toBe("eogToken")
        expect(result.fullResponse).toEqual(["", thought, ScriptedModel.ANSWER_TEXT])
        const call = await generate([user("What is the weather in Paris?")], {
          functions: tools("zeta_tool", "alpha_tool"),
          temperature,
          think: true
        })
        expect(call.metadata.stopReason).toBe("functionCalls")
        expect(call.fullResponse.filter((part) => typeof part !== "string")).toEqual([thought])
        expect(call.functionCalls?.map((c) => [c.functionName, c.params])).toEqual([["zeta_tool", { city: "Paris" }]])
      })
    })
  }

  it("asked to count it counts for ever (a long answer, for length cuts); asked for both calls it makes two", async () => {
    const counting = await generate([user("Count from 1 to 500, separated by spaces.")], { temperature: 1 })
    expect(counting.metadata.stopReason).toBe("maxTokens")
    expect(counting.response).toMatch(/^(1 )+1? ?$/)
    const both = await generate([user("Call get_weather for Paris and get_time for Tokyo. Make both calls now.")], {
      functions: tools("get_weather", "get_time"),
      temperature: 1
    })
    expect(both.metadata.stopReason).toBe("functionCalls")
    expect(both.functionCalls?.map((c) => c.functionName)).toEqual(["get_weather", "get_weather"])
  })

  it("arguments are valid for the schema: the first string gets the word, later strings stay empty, numbers are 0", async () => {
    const functions: ChatModelFunctions = {
      exec: {
        params: {
          type: "object",
          properties: {
            cmd: { type: "string" },
            count: { type: "number" },
            workdir: { type: "string" },
            flags: { type: "array", items: { type: "string" } },
            mode: { enum: ["fast", "slow"] },
            tty: { type: "boolean" }
          }
        }
      }
    }
    const result = await generate([user("please run find in this folder")], { functions, temperature: 0 })
    const params: Record<string, unknown> = Object.fromEntries(Object.entries(result.functionCalls?.[0]?.params ?? {}))
    expect(params).toMatchObject({ cmd: " find", count: 0, workdir: "" })
    expect(["fast", "slow"]).toContain(params.mode)
    expect(typeof params.tty).toBe("boolean")
    expect(Array.isArray(params.flags)).toBe(true)
    const latest = await generate([user("Is it sunny in Berlin or in Rome?")], {
      functions: tools("get_weather"),
      temperature: 0
    })
    expect(latest.functionCalls?.[0]?.params).toEqual({ city: "Rome" })
  })
})
