/**
 * Conversations as clients keep them: the OpenAI Agents SDK's conversation session (`OpenAIConversationsSession`,
 * on `client.conversations.*`) running an agent over two turns, and a conversation that survives a server
 * restart on SQLite and goes on with `responses.create({ conversation })`. Proxy mode, the real server over
 * loopback, the fake upstream recording what the model was asked.
 */
import { Agent, OpenAIConversationsSession, OpenAIResponsesModel, run, setTracingDisabled } from "@openai/agents"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { Server, Upstream } from "../src/index.js"
import { type FakeUpstream, startFakeUpstream } from "./fakeUpstream.js"

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
  setTracingDisabled(true)
})
afterAll(() => upstream.close())

const texts = (request: any): Array<string> =>
  request.messages.map(
    (m: any) => `${m.role}: ${typeof m.content === "string" ? m.content : m.content.map((p: any) => p.text).join("")}`
  )

const serve = (options: Partial<Server.ServerOptions> = {}) =>
  Server.start({ backend: Upstream.make({ baseUrl: upstream.url }), port: 0, ...options })

describe("the Agents SDK's OpenAIConversationsSession", () => {
  it("runs an agent over two turns; the second turn's model call carries the first", async () => {
    const server = await serve()
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 })
      const session = new OpenAIConversationsSession({ client })
      const agent = new Agent({
        name: "echo",
        instructions: "Answer briefly.",
        model: new OpenAIResponsesModel(client, "fake-model")
      })
      const before = upstream.requests.length
      const one = await run(agent, "my name is Ada", { session })
      expect(one.finalOutput).toMatch(/^echo: my name is Ada/)
      const two = await run(agent, "what is my name?", { session })
      expect(two.finalOutput).toMatch(/^echo: what is my name\?/)

      const [, second] = upstream.requests.slice(before)
      expect(texts(second)).toEqual([
        "system: Answer briefly.",
        "user: my name is Ada",
        `assistant: ${one.finalOutput}`,
        "user: what is my name?"
      ])
      // The session's conversation lives on the server: both turns, in order.
      const id = await session.getSessionId()
      expect(id).toMatch(/^conv_/)
      const items = await client.conversations.items.list(id, { order: "asc" })
      expect(items.data.map((i: any) => `${i.role}: ${i.content[0].text}`)).toEqual([
        "user: my name is Ada",
        `assistant: ${one.finalOutput}`,
        "user: what is my name?",
        `assistant: ${two.finalOutput}`
      ])
      // popItem and clearSession use items.delete and conversations.delete.
      expect(((await session.popItem()) as any)?.role).toBe("assistant")
      expect(await session.getItems()).toHaveLength(3)
      await session.clearSession()
      expect((await client.conversations.retrieve(id).catch((e) => e)).status).toBe(404)
    } finally {
      await server.close()
    }
  })
})

describe("conversations on SQLite", () => {
  it("a restart keeps the conversation and its items; the next turn reads them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parlance-conv-db-"))
    const first = await serve({ store: "sqlite", dataDir })
    const a = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "x", maxRetries: 0 })
    const conversation = await a.conversations.create({ metadata: { user: "ada" } })
    const one = await a.responses.create({
      model: "fake-model",
      input: "remember ORCHID",
      conversation: conversation.id
    })
    const listed = await a.conversations.items.list(conversation.id, { order: "asc" })
    await first.close()

    const second = await serve({ store: "sqlite", dataDir })
    try {
      const b = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "x", maxRetries: 0 })
      expect(await b.conversations.retrieve(conversation.id)).toEqual(conversation)
      expect((await b.conversations.items.list(conversation.id, { order: "asc" })).data).toEqual(listed.data)
      const before = upstream.requests.length
      const two = await b.responses.create({
        model: "fake-model",
        input: "which flower?",
        conversation: conversation.id
      })
      expect(two.conversation).toEqual({ id: conversation.id })
      expect(texts(upstream.requests[before])).toEqual([
        "user: remember ORCHID",
        `assistant: ${one.output_text}`,
        "user: which flower?"
      ])
      expect((await b.conversations.items.list(conversation.id)).data).toHaveLength(4)
    } finally {
      await second.close()
    }
  })
})
