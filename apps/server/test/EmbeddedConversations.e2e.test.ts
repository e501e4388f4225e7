/**
 * Conversations on the embedded engine: the real engine on the scripted tiny model behind the server, the
 * official openai SDK over loopback. The engine's `open` is observed (not replaced) so the test reads the exact
 * Chat Completions request the model was given: the second turn must carry the first, and the conversation
 * must hold both turns with the model's own answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type EmbeddedServer, serveEmbedded } from "./embedded.js"
import type { ChatCompletions } from "@parlance/schema"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import type OpenAI from "openai"

let served: EmbeddedServer | undefined
let client: OpenAI
let asked: Array<ChatCompletions.ChatCompletionRequest>

beforeAll(async () => {
  served = await serveEmbedded({ path: await ensureScriptedModel(), model: "scripted" })
  ;({ client, asked } = served)
}, 120_000)
afterAll(() => served?.close())

const text = (message: ChatCompletions.ChatCompletionRequest["messages"][number]) =>
  `${message.role}: ${typeof message.content === "string" ? message.content : (message.content ?? []).map((p: any) => p.text ?? "").join("")}`

describe("conversations on the embedded engine (scripted model)", () => {
  it("responses.create({ conversation }) twice: the model sees the first turn; the conversation holds both", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "Hello there" }] })
    const before = asked.length
    const one = await client.responses.create({
      model: "scripted",
      input: "First question",
      conversation: conversation.id
    })
    expect(one.status).toBe("completed")
    expect(one.output_text).toBe(ScriptedModel.ANSWER_TEXT)
    expect(one.conversation).toEqual({ id: conversation.id })
    const stream = await client.responses.create({
      model: "scripted",
      input: "Second question",
      conversation: { id: conversation.id },
      stream: true
    })
    let two: any
    for await (const event of stream) if (event.type === "response.completed") two = event.response
    expect(two.output[0].content[0].text).toBe(ScriptedModel.ANSWER_TEXT)

    expect(asked.slice(before).map((request) => request.messages.map(text))).toEqual([
      ["user: Hello there", "user: First question"],
      ["user: Hello there", "user: First question", `assistant: ${ScriptedModel.ANSWER_TEXT}`, "user: Second question"]
    ])
    // The second turn reused the first's KV cache: the conversation is a prefix of its prompt.
    expect(two.usage.input_tokens_details.cached_tokens).toBeGreaterThan(0)

    const items = await client.conversations.items.list(conversation.id, { order: "asc" })
    expect(items.data.map((i: any) => `${i.role}: ${i.content[0].text}`)).toEqual([
      "user: Hello there",
      "user: First question",
      `assistant: ${ScriptedModel.ANSWER_TEXT}`,
      "user: Second question",
      `assistant: ${ScriptedModel.ANSWER_TEXT}`
    ])
    expect(items.data[2]!.id).toBe(one.output[0]!.id)
  })
})
