/**
 * Conversations in proxy mode, driven by the official openai SDK's own methods (`client.conversations.*`,
 * `client.conversations.items.*`, `client.responses.create({ conversation })`) against the real server over
 * loopback in front of the fake upstream: shapes and defaults as OpenAI answers, cursor pagination with
 * auto-paging, multi-turn context (asserted on what the upstream received), the turn appended durably,
 * and the 400s and 404s OpenAI gives.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { checkStream } from "@parlance/translate"
import { type Harness, postSse, startHarness } from "./harness.js"

let h: Harness
let client: OpenAI

beforeAll(async () => {
  h = await startHarness()
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused", maxRetries: 0 })
})
afterAll(() => h?.close())

/** The upstream's messages as `role: text` lines, for asserting what the model saw. */
const seen = (request: any): Array<string> =>
  request.messages.map(
    (m: any) => `${m.role}: ${typeof m.content === "string" ? m.content : m.content.map((p: any) => p.text).join("")}`
  )

/** The status and error body of a call the SDK rejects. */
const failure = async (call: Promise<unknown>) => {
  const error = (await call.then(
    () => undefined,
    (e) => e
  )) as InstanceType<typeof OpenAI.APIError>
  expect(error).toBeInstanceOf(OpenAI.APIError)
  return { status: error.status, error: (error as any).error }
}

describe("/v1/conversations with the openai SDK", () => {
  it("create, retrieve, update, delete: OpenAI's shapes and defaults", async () => {
    const empty = await client.conversations.create()
    expect(empty).toEqual({
      id: expect.stringMatching(/^conv_/),
      object: "conversation",
      created_at: expect.any(Number),
      metadata: {}
    })
    expect(Math.abs(empty.created_at - Date.now() / 1000)).toBeLessThan(60)

    const created = await client.conversations.create({ metadata: { topic: "demo" }, items: [] })
    expect(created.metadata).toEqual({ topic: "demo" })
    expect(await client.conversations.retrieve(created.id)).toEqual(created)

    const updated = await client.conversations.update(created.id, { metadata: { topic: "other", lang: "en" } })
    expect(updated).toEqual({ ...created, metadata: { topic: "other", lang: "en" } })
    expect((await client.conversations.retrieve(created.id)).metadata).toEqual({ topic: "other", lang: "en" })

    expect(await client.conversations.delete(created.id)).toEqual({
      id: created.id,
      object: "conversation.deleted",
      deleted: true
    })
    const gone = await failure(client.conversations.retrieve(created.id))
    expect(gone.status).toBe(404)
    expect(gone.error.message).toBe(`Conversation with id '${created.id}' not found.`)
    expect((await failure(client.conversations.delete(created.id))).status).toBe(404)
  })

  it("items: created with ids and parts as OpenAI lists them; retrieve, delete (answers the conversation)", async () => {
    const conversation = await client.conversations.create({
      items: [
        { type: "message", role: "user", content: "hello" },
        { type: "message", role: "assistant", content: "hi there" }
      ]
    })
    const page = await client.conversations.items.list(conversation.id, { order: "asc" })
    expect(page.data).toEqual([
      {
        type: "message",
        id: expect.stringMatching(/^msg_/),
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: "hello" }]
      },
      {
        type: "message",
        id: expect.stringMatching(/^msg_/),
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "hi there", annotations: [] }]
      }
    ])
    const added = await client.conversations.items.create(conversation.id, {
      items: [{ role: "user", content: "third" }]
    })
    expect(added.object).toBe("list")
    expect(added.has_more).toBe(false)
    expect(added.data).toHaveLength(1)
    expect(added.first_id).toBe(added.data[0]!.id)
    expect(added.last_id).toBe(added.data[0]!.id)

    const third = added.data[0]! as OpenAI.Conversations.Message
    expect(await client.conversations.items.retrieve(third.id, { conversation_id: conversation.id })).toEqual(third)
    expect(await client.conversations.items.delete(third.id, { conversation_id: conversation.id })).toEqual(
      conversation
    )
    const missing = await failure(client.conversations.items.retrieve(third.id, { conversation_id: conversation.id }))
    expect(missing.status).toBe(404)
    expect(missing.error.param).toBe("item_id")
    expect(
      (await failure(client.conversations.items.delete(third.id, { conversation_id: conversation.id }))).status
    ).toBe(404)
    // desc is the default order
    const desc = await client.conversations.items.list(conversation.id)
    expect(desc.data.map((i: any) => i.content[0].text)).toEqual(["hi there", "hello"])
  })

  it("cursor pagination: limit, after, order, has_more; the SDK auto-pages through every item", async () => {
    const conversation = await client.conversations.create()
    const texts = Array.from({ length: 25 }, (_, i) => `m${i}`)
    // 20 at a time, as OpenAI allows.
    await client.conversations.items.create(conversation.id, {
      items: texts.slice(0, 20).map((t) => ({ role: "user" as const, content: t }))
    })
    await client.conversations.items.create(conversation.id, {
      items: texts.slice(20).map((t) => ({ role: "user" as const, content: t }))
    })
    const first = await client.conversations.items.list(conversation.id, { limit: 10, order: "asc" })
    expect(first.data.map((i: any) => i.content[0].text)).toEqual(texts.slice(0, 10))
    expect(first.has_more).toBe(true)
    const second = await client.conversations.items.list(conversation.id, {
      limit: 10,
      order: "asc",
      after: first.last_id
    })
    expect(second.data.map((i: any) => i.content[0].text)).toEqual(texts.slice(10, 20))

    const asc: Array<string> = []
    for await (const item of client.conversations.items.list(conversation.id, { limit: 7, order: "asc" }))
      asc.push((item as any).content[0].text)
    expect(asc).toEqual(texts)
    const desc: Array<string> = []
    for await (const item of client.conversations.items.list(conversation.id, { limit: 4 }))
      desc.push((item as any).content[0].text)
    expect(desc).toEqual([...texts].reverse())

    const last = await client.conversations.items.list(conversation.id, {
      limit: 5,
      order: "asc",
      after: second.last_id
    })
    expect(last.has_more).toBe(false)
    expect(last.data).toHaveLength(5)
  })

  it("responses.create({ conversation }): the second turn sees the first; the turns are appended in order", async () => {
    const conversation = await client.conversations.create({
      items: [{ type: "message", role: "developer", content: "Be brief." }]
    })
    const before = h.upstream.requests.length
    const one = await client.responses.create({
      model: "fake-model",
      input: "remember SAPPHIRE",
      conversation: conversation.id
    })
    expect(one.conversation).toEqual({ id: conversation.id })
    expect(one.status).toBe("completed")
    // The object form, streamed.
    const stream = await client.responses.create({
      model: "fake-model",
      input: [{ role: "user", content: "what was the word?" }],
      conversation: { id: conversation.id },
      stream: true
    })
    let two: any
    for await (const event of stream) if (event.type === "response.completed") two = event.response
    expect(two.conversation).toEqual({ id: conversation.id })

    const [first, second] = h.upstream.requests.slice(before)
    // (the translator sends a developer message as `system`)
    expect(seen(first)).toEqual(["system: Be brief.", "user: remember SAPPHIRE"])
    expect(seen(second)).toEqual([
      "system: Be brief.",
      "user: remember SAPPHIRE",
      `assistant: ${one.output_text}`,
      "user: what was the word?"
    ])

    const items = await client.conversations.items.list(conversation.id, { order: "asc" })
    expect(items.data.map((i: any) => `${i.role}: ${i.content[0].text}`)).toEqual([
      "developer: Be brief.",
      "user: remember SAPPHIRE",
      `assistant: ${one.output_text}`,
      "user: what was the word?",
      `assistant: ${two.output[0].content[0].text}`
    ])
    // The conversation holds the response's own items: same ids as its output and input items.
    expect(items.data[2]!.id).toBe(one.output[0]!.id)
    const inputItems = await client.responses.inputItems.list(one.id)
    expect(items.data[1]!.id).toBe(inputItems.data[0]!.id)
    // GET keeps the conversation on the stored response.
    expect((await client.responses.retrieve(one.id)).conversation).toEqual({ id: conversation.id })
  })

  it("a failed or incomplete response: failed adds nothing, incomplete is appended (as a continuable turn)", async () => {
    const conversation = await client.conversations.create()
    const failed = await client.responses.create({
      model: "vector/upstream-error-mid-stream",
      input: "x",
      conversation: conversation.id
    })
    expect(failed.status).toBe("failed")
    expect((await client.conversations.items.list(conversation.id)).data).toEqual([])
    const cut = await client.responses.create({
      model: "vector/length-inside-text",
      input: "y",
      conversation: conversation.id
    })
    expect(cut.status).toBe("incomplete")
    const items = await client.conversations.items.list(conversation.id, { order: "asc" })
    expect(items.data.map((i) => i.id)).toEqual([expect.stringMatching(/^msg_/), cut.output[0]!.id])
  })

  it("a streamed response in a conversation obeys the grammar, not even a note (checkStream)", async () => {
    const conversation = await client.conversations.create()
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "fake-model",
      input: "stream it",
      conversation: conversation.id,
      stream: true
    })
    expect(capture.status).toBe(200)
    expect(checkStream(capture.events, { eventNames: capture.names })).toEqual([])
    expect(capture.events.at(-1).response.conversation).toEqual({ id: conversation.id })
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(2)
  })

  it("an item_reference to an item the conversation holds is read, and not appended twice", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "the fact" }] })
    const [fact] = (await client.conversations.items.list(conversation.id)).data
    const before = h.upstream.requests.length
    const response = await client.responses.create({
      model: "fake-model",
      input: [
        { type: "item_reference", id: fact!.id! },
        { role: "user", content: "again?" }
      ],
      conversation: conversation.id
    })
    expect(seen(h.upstream.requests[before])).toEqual(["user: the fact", "user: the fact", "user: again?"])
    const items = await client.conversations.items.list(conversation.id, { order: "asc" })
    expect(items.data.map((i: any) => i.content[0].text)).toEqual(["the fact", "again?", response.output_text])
  })

  it("store: false reads the conversation as context and appends nothing (nothing is kept)", async () => {
    const conversation = await client.conversations.create({ items: [{ role: "user", content: "kept before" }] })
    const before = h.upstream.requests.length
    const response = await client.responses.create({
      model: "fake-model",
      input: "ephemeral",
      conversation: conversation.id,
      store: false
    })
    expect(response.conversation).toEqual({ id: conversation.id })
    expect(seen(h.upstream.requests[before])).toEqual(["user: kept before", "user: ephemeral"])
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(1)
    expect((await failure(client.responses.retrieve(response.id))).status).toBe(404)
  })
})

describe("bad inputs give OpenAI's 400s and 404s", () => {
  it("conversation with previous_response_id; unknown and malformed conversation ids", async () => {
    const conversation = await client.conversations.create()
    const previous = await client.responses.create({ model: "fake-model", input: "a" })
    const both = await failure(
      client.responses.create({
        model: "fake-model",
        input: "b",
        conversation: conversation.id,
        previous_response_id: previous.id
      })
    )
    expect(both.status).toBe(400)
    expect(both.error).toMatchObject({ type: "invalid_request_error", code: "mutually_exclusive_parameters" })
    expect(both.error.message).toContain("'previous_response_id' or 'conversation'")

    const unknown = await failure(
      client.responses.create({ model: "fake-model", input: "b", conversation: "conv_doesnotexist" })
    )
    expect(unknown.status).toBe(404)
    expect(unknown.error).toMatchObject({
      param: "conversation",
      message: "Conversation with id 'conv_doesnotexist' not found."
    })

    const malformed = await failure(client.responses.create({ model: "fake-model", input: "b", conversation: "nope" }))
    expect(malformed.status).toBe(400)
    expect(malformed.error).toMatchObject({ param: "conversation", code: "invalid_value" })
    const typed = await failure(
      client.responses.create({ model: "fake-model", input: "b", conversation: 42 as unknown as string })
    )
    expect(typed.status).toBe(400)
    expect(typed.error.param).toBe("conversation")

    for (const call of [
      () => client.conversations.retrieve("conv_missing"),
      () => client.conversations.update("conv_missing", { metadata: {} }),
      () => client.conversations.items.list("conv_missing"),
      () => client.conversations.items.create("conv_missing", { items: [{ role: "user", content: "x" }] }),
      () => client.conversations.items.retrieve("msg_x", { conversation_id: "conv_missing" }),
      () => client.conversations.items.delete("msg_x", { conversation_id: "conv_missing" })
    ]) {
      const { status, error } = await failure(call())
      expect(status).toBe(404)
      expect(error.message).toBe("Conversation with id 'conv_missing' not found.")
    }
    expect((await failure(client.conversations.retrieve("not-a-conversation"))).status).toBe(400)
  })

  it("metadata past OpenAI's limits, more than 20 items, bad ids, items already there, bad cursors", async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]))
    const keys = await failure(client.conversations.create({ metadata: tooMany }))
    expect(keys.status).toBe(400)
    expect(keys.error).toMatchObject({ param: "metadata", code: "object_above_max_properties" })
    const longValue = await failure(client.conversations.create({ metadata: { k: "v".repeat(513) } }))
    expect(longValue.error).toMatchObject({ param: "metadata.k", code: "string_above_max_length" })
    const longKey = await failure(client.conversations.create({ metadata: { ["k".repeat(65)]: "v" } }))
    expect(longKey.error.code).toBe("string_above_max_length")
    // At the limits is fine.
    const full = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, "k"), "v".repeat(512)]))
    const conversation = await client.conversations.create({ metadata: full })
    expect(conversation.metadata).toEqual(full)
    const update = await failure(client.conversations.update(conversation.id, { metadata: tooMany }))
    expect(update.status).toBe(400)

    const items = Array.from({ length: 21 }, () => ({ role: "user" as const, content: "x" }))
    const many = await failure(client.conversations.create({ items }))
    expect(many.error).toMatchObject({ param: "items", code: "array_above_max_length" })
    expect((await failure(client.conversations.items.create(conversation.id, { items }))).status).toBe(400)

    const prefix = await failure(
      client.conversations.items.create(conversation.id, {
        items: [{ type: "function_call", id: "msg_wrong", call_id: "c1", name: "f", arguments: "{}" }]
      })
    )
    expect(prefix.error).toMatchObject({
      param: "items[0].id",
      code: "invalid_value",
      message: "Invalid 'items[0].id': 'msg_wrong'. Expected an ID that begins with 'fc'."
    })

    const added = await client.conversations.items.create(conversation.id, {
      items: [{ role: "user", content: "once" }]
    })
    const twice = await failure(
      client.conversations.items.create(conversation.id, {
        // An id on an input message (the SDK types it on output messages only; OpenAI takes it on any).
        items: [{ type: "message", id: added.data[0]!.id, role: "user", content: "again" } as never]
      })
    )
    expect(twice).toEqual({
      status: 400,
      error: expect.objectContaining({ code: "item_already_in_conversation", param: "items" })
    })
    // All or none: the rejected call added nothing.
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(1)

    const cursor = await failure(client.conversations.items.list(conversation.id, { after: "msg_gone" }))
    expect(cursor.status).toBe(404)
    expect(cursor.error).toMatchObject({ param: "after", message: "No item found with id 'msg_gone'" })
    expect((await failure(client.conversations.items.list(conversation.id, { limit: 101 }))).status).toBe(400)
    expect(
      (await failure(client.conversations.items.list(conversation.id, { order: "sideways" as "asc" }))).status
    ).toBe(400)

    const reference = await failure(
      client.conversations.items.create(conversation.id, { items: [{ type: "item_reference", id: "msg_nowhere" }] })
    )
    expect(reference.status).toBe(404)
    expect(reference.error.param).toBe("items[0].id")

    const badBody = await fetch(`${h.url}/v1/conversations/${conversation.id}/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ items: "nope" })
    })
    expect(badBody.status).toBe(400)
    expect((await badBody.json()).error.param).toBe("items")
  })
})
