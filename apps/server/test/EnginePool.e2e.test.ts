/**
 * The EnginePool's policy through the real server and Router: what a model that does not fit, a model still
 * loading, and a full pool whose engines are all busy answer. The "engines" the pool loads here are real
 * backends (the Upstream in front of the fake Chat Completions server, over loopback), loaded through the same
 * `load` hook the CLI gives `Engine.spawn`: what is under test is the loading policy, not llama.cpp (the spawned
 * `models_dir` e2e in apps/cli covers real engines).
 */
import { ChatBackend } from "@parlance/schema"
import * as Effect from "effect/Effect"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EnginePool, Router, Server, Upstream } from "../src/index.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"

interface Model {
  readonly key: string
  readonly name: string
  /** What the fake is asked for (its behaviour). */
  readonly upstreamModel: string
}

let fake: FakeUpstream
beforeAll(async () => {
  fake = await startFakeUpstream()
})
afterAll(() => fake?.close())

const serve = async (options: {
  readonly max?: number
  readonly loadTimeoutMs?: number
  readonly loadDelayMs?: number
  readonly idleUnloadMs?: number
  /** What the loader itself refuses (as the CLI's does when node-llama-cpp finds too little RAM or VRAM). */
  readonly refuse?: (model: Model) => Error | undefined
  readonly fits?: (model: Model) => string | undefined
}) => {
  const loads: Array<string> = []
  const pool = EnginePool.make<Model>({
    max: options.max,
    loadTimeoutMs: options.loadTimeoutMs,
    idleUnloadMs: options.idleUnloadMs,
    load: (model) =>
      Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const refused = options.refuse?.(model)
            if (refused !== undefined) throw refused
            loads.push(model.name)
            await new Promise((r) => setTimeout(r, options.loadDelayMs ?? 0))
            return Upstream.make({ baseUrl: fake.url })
          },
          catch: (error) => error
        }),
        (backend) => Effect.promise(() => backend.close())
      ),
    ...(options.fits !== undefined ? { fits: (model: Model) => Effect.sync(() => options.fits!(model)) } : {})
  })
  const entry = (name: string, upstreamModel: string) => {
    const backend = pool.backend({ key: name, name, upstreamModel })
    return {
      name,
      backends: [
        { label: `engine:${name}.gguf`, kind: "engine" as const, model: upstreamModel, backend, loaded: backend.loaded }
      ]
    }
  }
  const router = Router.make({ entries: [entry("small", "echo"), entry("huge", "echo"), entry("slow", "slow")] })
  const server = await Server.start({ backend: router, port: 0, store: "memory" })
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
  return {
    client,
    loads,
    pool,
    server,
    close: async () => {
      await server.close()
      await Effect.runPromise(pool.close)
    }
  }
}

describe("EnginePool", () => {
  it("answers a model that does not fit in memory with 503 insufficient_memory, and never loads it", async () => {
    const s = await serve({
      fits: (m) => (m.name === "huge" ? "it needs about 90000 MB of memory and 2000 MB are free" : undefined)
    })
    try {
      const error = await s.client.responses.create({ model: "huge", input: "hi" }).catch((e) => e)
      expect(error.status).toBe(503)
      expect(error.code).toBe("insufficient_memory")
      expect(error.message).toContain("it needs about 90000 MB")
      expect(s.loads).toEqual([])
      // The other model is unaffected.
      expect((await s.client.responses.create({ model: "small", input: "hi" })).status).toBe("completed")
      expect(s.loads).toEqual(["small"])
    } finally {
      await s.close()
    }
  })

  it("answers what the loader itself refuses in the contract's terms (insufficient_memory), anything else generically", async () => {
    const s = await serve({
      refuse: (m) =>
        m.name === "huge"
          ? new ChatBackend.BackendError({
              reason: "overloaded",
              code: "insufficient_memory",
              param: null,
              message: "The model 'huge' cannot be loaded: there is not enough free memory for it."
            })
          : m.name === "slow"
            ? new Error("ggml_cuda_init: failed at /opt/models/secret-path.gguf")
            : undefined
    })
    try {
      const huge = await s.client.responses.create({ model: "huge", input: "hi" }).catch((e) => e)
      expect(huge.status).toBe(503)
      expect(huge.code).toBe("insufficient_memory")
      expect(huge.error.message).toBe("The model 'huge' cannot be loaded: there is not enough free memory for it.")
      const slow = await s.client.responses.create({ model: "slow", input: "hi" }).catch((e) => e)
      expect(slow.status).toBe(503)
      expect(slow.code).toBe("model_load_failed")
      expect(slow.message).not.toContain("secret-path")
      expect((await s.client.responses.create({ model: "small", input: "hi" })).status).toBe("completed")
    } finally {
      await s.close()
    }
  })

  it("loads a model once for requests that arrive while it loads; they wait for it", async () => {
    const s = await serve({ loadDelayMs: 300 })
    try {
      const answers = await Promise.all(
        [1, 2, 3].map(() => s.client.responses.create({ model: "small", input: "hi", store: false }))
      )
      expect(answers.map((a) => a.status)).toEqual(["completed", "completed", "completed"])
      expect(s.loads).toEqual(["small"])
    } finally {
      await s.close()
    }
  })

  it("with the pool full of busy engines, a request for another model waits, bounded, then 503 model_loading", async () => {
    const s = await serve({ max: 1, loadTimeoutMs: 400 })
    try {
      // `slow` streams for about 10 s: its engine is busy, so it cannot be unloaded to make room.
      const stream = await s.client.responses.create({ model: "slow", input: "hi", stream: true })
      const iterator = stream[Symbol.asyncIterator]()
      await iterator.next()
      const started = Date.now()
      const error = await s.client.responses.create({ model: "small", input: "hi" }).catch((e) => e)
      expect(error.status).toBe(503)
      expect(error.code).toBe("model_loading")
      expect(Date.now() - started).toBeGreaterThanOrEqual(350)
      expect(s.pool.loadedNames()).toEqual(["slow"])
      stream.controller.abort()
      // Once `slow` is idle (its generation ended: waited for, as a loaded machine may take a while), it is the
      // least recently used: `small` takes its place.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && s.server.metrics.activeStreams() > 0; )
        await new Promise((r) => setTimeout(r, 20))
      expect(s.server.metrics.activeStreams()).toBe(0)
      expect((await s.client.responses.create({ model: "small", input: "hi" })).status).toBe("completed")
      expect(s.pool.loadedNames()).toEqual(["small"])
      expect(s.loads).toEqual(["slow", "small"])
    } finally {
      await s.close()
    }
  }, 30_000)

  it("with idleUnloadMs, unloads an engine no request has used for that long (never a busy one), and loads it again on use", async () => {
    const s = await serve({ idleUnloadMs: 300 })
    const until = async (check: () => boolean, ms: number) => {
      const start = Date.now()
      while (!check() && Date.now() - start < ms) await new Promise((r) => setTimeout(r, 20))
    }
    try {
      expect((await s.client.responses.create({ model: "small", input: "hi" })).status).toBe("completed")
      const idleFrom = Date.now()
      expect(s.pool.loadedNames()).toEqual(["small"])
      await until(() => s.pool.loadedNames().length === 0, 10_000)
      expect(s.pool.loadedNames()).toEqual([])
      expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(250)
      // A stream that outlasts the idle time keeps its engine: only time with nothing in flight counts.
      const stream = await s.client.responses.create({ model: "slow", input: "hi", stream: true })
      const iterator = stream[Symbol.asyncIterator]()
      await iterator.next()
      await new Promise((r) => setTimeout(r, 800))
      expect(s.pool.loadedNames()).toEqual(["slow"])
      stream.controller.abort()
      await until(() => s.pool.loadedNames().length === 0, 10_000)
      expect(s.pool.loadedNames()).toEqual([])
      // Used again: loaded again.
      expect((await s.client.responses.create({ model: "small", input: "hi" })).status).toBe("completed")
      expect(s.loads).toEqual(["small", "slow", "small"])
    } finally {
      await s.close()
    }
  }, 30_000)
})
