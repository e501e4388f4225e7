/**
 * Automatic compaction (`context_management: [{type: "compaction", compact_threshold}]`) driven by the openai
 * SDK over a long multi-turn conversation: in proxy mode (the fake upstream) and on the embedded engine (the
 * scripted tiny model). Asserted: the compaction happens at the threshold and not before, the stream carries
 * the compaction item with `response.compaction.compacting` in its place, the item is replayable as input,
 * and the next turn's backend request is the compacted one.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type EmbeddedServer, serveEmbedded } from "./embedded.js"
import type { ChatCompletions } from "@parlance/schema"
import { checkStream, Vector, validateStream } from "@parlance/translate"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import type { ResponseStreamEvent } from "openai/resources/responses/responses"
import { type Harness, startHarness } from "./harness.js"

const summaryPrefix = "Summary of the conversation so far:"
const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((p: any) => p.text ?? "").join("") : ""
const isSummary = (m: { readonly role: string; readonly content?: unknown }) =>
  m.role === "user" && textOf(m.content).startsWith(summaryPrefix)

describe("automatic compaction in proxy mode (openai SDK, fake upstream)", () => {
  let h: Harness
  let client: OpenAI
  const recordDir = mkdtempSync(join(tmpdir(), "parlance-compaction-"))
  beforeAll(async () => {
    h = await startHarness({ recordDir })
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused", maxRetries: 0 })
  })
  afterAll(() => h.close())

  // The fake upstream reports prompt_tokens = 10 + messages and 5 completion tokens: the previous turn's context
  // (input + output) is 16, 18, 20… tokens after turns 1, 2, 3.
  const context_management = [{ type: "compaction", compact_threshold: 20 }]

  it("compacts once the context reaches the threshold; the next turn asks the backend the compacted context", async () => {
    const model = "fake-model"
    const r1 = await client.responses.create({ model, input: "first question", context_management })
    const r2 = await client.responses.create({
      model,
      input: "second question",
      previous_response_id: r1.id,
      context_management
    })
    const r3 = await client.responses.create({
      model,
      input: "third question",
      previous_response_id: r2.id,
      context_management
    })
    for (const r of [r1, r2, r3]) expect(r.output.some((item) => item.type === "compaction")).toBe(false)
    expect(h.upstream.requests).toHaveLength(3)

    // Turn 4: the previous turn's context is 20 tokens — compaction first, streamed.
    const stream = await client.responses.create({
      model,
      input: "fourth question",
      previous_response_id: r3.id,
      context_management,
      stream: true
    })
    const events: Array<ResponseStreamEvent> = []
    for await (const event of stream) events.push(event)
    expect(validateStream(events, { strict: true })).toEqual([])
    expect(checkStream(events)).toEqual([])
    expect(events.slice(0, 5).map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.compaction.compacting",
      "response.output_item.done"
    ])
    const compacting = events[3] as Extract<ResponseStreamEvent, { type: "response.compaction.compacting" }>
    const final = events.at(-1)!
    if (final.type !== "response.completed") throw new Error(`ended with ${final.type}`)
    const r4 = final.response
    const compaction = r4.output[0]!
    if (compaction.type !== "compaction") throw new Error("the compaction item does not open the output")
    expect(compacting).toMatchObject({ item_id: compaction.id, output_index: 0 })
    expect(compaction.encrypted_content).not.toContain("question")
    expect(r4.output[1]).toMatchObject({ type: "message", status: "completed" })

    // Two backend requests for turn 4: the summary, then the answer over the compacted context.
    expect(h.upstream.requests).toHaveLength(5)
    const [summaryRequest, answerRequest] = h.upstream.requests.slice(3) as Array<ChatCompletions.ChatCompletionRequest>
    expect(textOf(summaryRequest!.messages.at(-1)!.content)).toContain("Summarize the conversation so far")
    expect(summaryRequest!.messages.filter((m) => m.role === "assistant")).toHaveLength(3)
    const compacted = answerRequest!.messages
    expect(compacted.map((m) => m.role)).toEqual(["user", "user", "user", "user", "user"])
    expect(compacted.slice(0, 4).map((m) => textOf(m.content))).toEqual([
      "first question",
      "second question",
      "third question",
      "fourth question"
    ])
    expect(isSummary(compacted[4]!)).toBe(true)

    // The recording of turn 4 replays exactly: the compaction item is part of its context.
    const recorded = join(recordDir, `${r4.id}.json`)
    // The .sse file is written first; the .json may still be being written: read it until it parses.
    let file: any
    for (let waited = 0; waited < 10_000 && file === undefined; waited += 20) {
      if (existsSync(join(recordDir, `${r4.id}.sse`))) {
        try {
          file = JSON.parse(readFileSync(recorded, "utf8"))
          break
        } catch {
          // still being written
        }
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(file.context.compacted).toEqual(compaction)
    expect(Vector.replay(file).mismatches).toEqual([])

    // Turn 5 (no context_management): the chain replays the compaction item, so the backend gets the compacted
    // context, then turn 4's answer and the new question — none of turns 1–3's answers.
    const r5 = await client.responses.create({ model, input: "fifth question", previous_response_id: r4.id })
    expect(r5.status).toBe("completed")
    const next = (h.upstream.requests.at(-1) as ChatCompletions.ChatCompletionRequest).messages
    expect(next.slice(0, 5)).toEqual(compacted)
    expect(next.slice(5).map((m) => m.role)).toEqual(["assistant", "user"])
    expect(next.filter((m) => m.role === "assistant")).toHaveLength(1)

    // The item replayed as input by a stateless client gives the backend the same context.
    const answer = r4.output[1]!
    if (answer.type !== "message") throw new Error("no answer")
    const replay = await client.responses.create({
      model,
      store: false,
      input: [
        { role: "user", content: "first question" },
        { role: "user", content: "second question" },
        { role: "user", content: "third question" },
        { role: "user", content: "fourth question" },
        { type: "compaction", id: compaction.id, encrypted_content: compaction.encrypted_content },
        { role: "assistant", content: answer.content.map((p) => (p.type === "output_text" ? p.text : "")).join("") },
        { role: "user", content: "fifth question" }
      ]
    })
    expect(replay.status).toBe("completed")
    expect((h.upstream.requests.at(-1) as ChatCompletions.ChatCompletionRequest).messages).toEqual(next)
  })

  it("refuses a context_management type other than compaction, and a threshold that is not a token count", async () => {
    const bad = (body: unknown) =>
      client.responses.create(body as never).then(
        () => undefined,
        (error: InstanceType<typeof OpenAI.APIError>) => ({ status: error.status, param: error.param })
      )
    expect(await bad({ model: "fake-model", input: "x", context_management: [{ type: "truncate" }] })).toEqual({
      status: 400,
      param: "context_management[0].type"
    })
    expect(
      await bad({ model: "fake-model", input: "x", context_management: [{ type: "compaction", compact_threshold: 0 }] })
    ).toEqual({ status: 400, param: "context_management[0].compact_threshold" })
  })
})

describe("automatic compaction on the embedded engine (scripted tiny model)", () => {
  let served: EmbeddedServer | undefined
  let client: OpenAI
  let asked: Array<ChatCompletions.ChatCompletionRequest>
  const model = "scripted"

  beforeAll(async () => {
    // The engine as it is, with every request it is asked kept.
    served = await serveEmbedded({ path: await ensureScriptedModel(), model })
    ;({ client, asked } = served)
  }, 120_000)
  afterAll(() => served?.close())

  it("compacts past the threshold the engine's own usage reports, and the next turn asks the compacted context", async () => {
    const r1 = await client.responses.create({ model, input: "Hello there" })
    const context = r1.usage!.input_tokens + r1.usage!.output_tokens
    const context_management = [{ type: "compaction", compact_threshold: context }]
    const r2 = await client.responses.create({
      model,
      input: "And again",
      previous_response_id: r1.id,
      context_management
    })
    expect(r2.output[0]?.type).toBe("compaction")
    expect(r2.output[1]).toMatchObject({ type: "message", status: "completed" })
    expect(r2.output_text).toBe(ScriptedModel.ANSWER_TEXT)
    // r1, the summary, r2's answer over [Hello there, And again, summary].
    expect(asked).toHaveLength(3)
    const compacted = asked[2]!.messages
    expect(compacted.map((m) => m.role)).toEqual(["user", "user", "user"])
    expect(isSummary(compacted[2]!)).toBe(true)
    expect(textOf(compacted[2]!.content)).toContain(ScriptedModel.ANSWER_TEXT)

    const r3 = await client.responses.create({ model, input: "Once more", previous_response_id: r2.id })
    expect(r3.output.some((item) => item.type === "compaction")).toBe(false)
    expect(asked).toHaveLength(4)
    expect(asked[3]!.messages.slice(0, 3)).toEqual(compacted)
    expect(asked[3]!.messages.slice(3).map((m) => m.role)).toEqual(["assistant", "user"])
  })
})
