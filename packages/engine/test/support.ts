import { BackendError, type OpenOptions } from "@parlance/schema/ChatBackend"
import { ChatCompletionChunk, type ChatCompletionRequest, type ChatUsage } from "@parlance/schema/ChatCompletions"
import { ensureTinyModel } from "@parlance/tiny-model"
import { expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Source from "@parlance/schema/Source"
import * as Engine from "../src/Engine.js"

// One thread: the tiny model gains nothing from more, and llama.cpp's spinning worker threads crawl on a
// loaded host (measured on 2 shared cores: ~340 ms per token with 2 threads, ~4 ms with 1).
export const threads = 1

/** The engine on the tiny model (generated on first use). */
export const tinyEngineLayer = (options: Omit<Engine.EngineOptions, "model">): Layer.Layer<Engine.Engine, unknown> =>
  Layer.unwrap(
    Effect.map(Effect.promise(ensureTinyModel), (model) =>
      Engine.layer({ model, threads, contextSize: 2048, ...options })
    )
  )

export const request = (overrides: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: "tiny",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is the weather in Paris today?" }
  ],
  max_tokens: 8,
  temperature: 0,
  ...overrides
})

export const collect = (engine: Engine.EngineBackend, req: ChatCompletionRequest, options?: OpenOptions) =>
  Stream.runCollect(Source.stream(engine, req, options))

export const failure = (engine: Engine.EngineBackend, req: ChatCompletionRequest) =>
  Effect.flip(Stream.runDrain(Source.stream(engine, req)))

const decodeChunk = Schema.decodeUnknownSync(ChatCompletionChunk)

/** Role first, deltas, exactly one finish chunk, then the usage-only chunk; every chunk schema-valid. */
export const assertWellFormed = (
  chunks: ReadonlyArray<ChatCompletionChunk>
): { finishReason: string; usage: ChatUsage } => {
  expect(chunks.length).toBeGreaterThanOrEqual(3)
  for (const chunk of chunks) {
    decodeChunk(JSON.parse(JSON.stringify(chunk)))
    expect(chunk.id).toBe(chunks[0].id)
    expect(chunk.id.startsWith("chatcmpl-")).toBe(true)
    expect(chunk.object).toBe("chat.completion.chunk")
    expect(chunk.model).toBe(chunks[0].model)
    expect(typeof chunk.created).toBe("number")
  }
  expect(chunks[0].choices[0].delta.role).toBe("assistant")
  const finishes = chunks.filter((c) => c.choices.some((choice) => choice.finish_reason != null))
  expect(finishes.length).toBe(1)
  expect(chunks.at(-2)).toBe(finishes[0])
  const last = chunks.at(-1)!
  expect(last.choices).toEqual([])
  const usage = last.usage!
  expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens)
  expect(typeof usage.prompt_tokens_details?.cached_tokens).toBe("number")
  for (const chunk of chunks.slice(1, -2)) expect(chunk.usage ?? undefined).toBeUndefined()
  return { finishReason: finishes[0].choices[0].finish_reason!, usage }
}

export const contentOf = (chunks: ReadonlyArray<ChatCompletionChunk>): string =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")

export interface CollectedCall {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

/** Accumulate `delta.tool_calls` the way the OpenAI SDK does. */
export const toolCallsOf = (chunks: ReadonlyArray<ChatCompletionChunk>): Array<CollectedCall> => {
  const calls: Array<{ id: string; name: string; arguments: string }> = []
  for (const chunk of chunks)
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      if (delta.id != null) {
        expect(delta.index).toBe(calls.length)
        expect(delta.type).toBe("function")
        calls.push({ id: delta.id, name: delta.function?.name ?? "", arguments: delta.function?.arguments ?? "" })
      } else calls[delta.index].arguments += delta.function?.arguments ?? ""
    }
  return calls
}

export const isBackendError = (u: unknown): u is BackendError => u instanceof BackendError
