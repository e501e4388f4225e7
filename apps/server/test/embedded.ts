/**
 * The embedded e2e opening: the real engine on a real GGUF (in this process, one thread: on a tiny model
 * llama.cpp's thread sync costs more than it saves, FIELD-NOTES: 1 thread ≈ 30× 2 threads), the real server in front of it, the official
 * openai SDK pointed at it. The engine's `open` is observed, not replaced: `asked` holds every Chat Completions
 * request the model was given. With `spec` (the default), every `/v1/responses` stream is checked against the
 * Open Responses spec at `close`.
 */
import { Engine } from "@parlance/engine"
import type { ChatCompletions } from "@parlance/schema"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import OpenAI from "openai"
import { Server } from "../src/index.js"
import * as SpecTap from "./specTap.js"

export interface EmbeddedServer {
  readonly server: Server.RunningServer
  readonly url: string
  readonly client: OpenAI
  readonly asked: Array<ChatCompletions.ChatCompletionRequest>
  readonly close: () => Promise<void>
}

export const serveEmbedded = async (options: {
  readonly path: string
  readonly model: string
  readonly parallel?: number
  readonly spec?: boolean
}): Promise<EmbeddedServer> => {
  const scope = Effect.runSync(Scope.make())
  const engine = await Effect.runPromise(
    Engine.make({
      model: options.path,
      modelName: options.model,
      contextSize: 2048,
      threads: 1,
      ...(options.parallel !== undefined ? { parallel: options.parallel } : {})
    }).pipe(Scope.provide(scope))
  )
  const asked: Array<ChatCompletions.ChatCompletionRequest> = []
  const observed = {
    ...engine,
    open: (request: ChatCompletions.ChatCompletionRequest, openOptions?: Parameters<typeof engine.open>[1]) => {
      asked.push(request)
      return engine.open(request, openOptions)
    }
  }
  const server = await Server.start({ backend: observed, port: 0, defaultModel: options.model })
  const spec = options.spec === false ? undefined : SpecTap.watch(server.url)
  return {
    server,
    url: server.url,
    client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 }),
    asked,
    close: async () => {
      await server.close()
      await Effect.runPromise(Scope.close(scope, Exit.void))
      spec?.check()
    }
  }
}
