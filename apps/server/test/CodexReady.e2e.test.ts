/**
 * Issue 13 over loopback (the real server in front of the fake upstream, hand-built requests as recent Codex
 * releases send them, and the real openai SDK for `responses.compact`): the model catalog, `phase`,
 * `additional_tools`, compaction (trigger and endpoint), and encrypted reasoning across `store: false` turns.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { mkdtempSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadKey, makeSealer } from "../src/internal/generation/reasoningSeal.js"
import { type Harness, postSse, startHarness, violations } from "./harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness({ upstreamOptions: { contextWindow: 32768 }, assistantPhase: true })
})
afterAll(() => h.close())

const post = (path: string, body: unknown) =>
  fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
const json = async (path: string, body: unknown) => {
  const response = await post(path, body)
  expect(response.status, await response.clone().text()).toBe(200)
  return response.json()
}
const lastUpstream = () => h.upstream.requests.at(-1)

describe("GET /v1/models", () => {
  it("serves OpenAI's data[] and Codex's models[] from what the backend knows", async () => {
    const body = await (await fetch(`${h.url}/v1/models?client_version=0.171.0`)).json()
    expect(body.object).toBe("list")
    expect(body.data).toEqual([{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }])
    expect(body.models).toHaveLength(1)
    expect(body.models[0]).toMatchObject({
      slug: "fake-model",
      display_name: "fake-model",
      context_window: 32768,
      visibility: "list",
      supported_in_api: true,
      base_instructions: ""
    })
    // Unknown to the backend, so not claimed: modalities are left to Codex's default.
    expect(body.models[0].input_modalities).toBeUndefined()
    const sdk = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused" })
    expect((await sdk.models.list()).data.map((m) => m.id)).toEqual(["fake-model"])
  })
  it("without a context window from the upstream or the configuration, none is claimed", async () => {
    const bare = await startHarness()
    try {
      const body = await (await fetch(`${bare.url}/v1/models`)).json()
      expect(body.models[0].context_window).toBeUndefined()
    } finally {
      await bare.close()
    }
  })
})

describe("phase", () => {
  it("is stored, listed in input items, kept through previous_response_id and sent to an upstream that reads it", async () => {
    const first = await json("/v1/responses", {
      model: "fake-model",
      input: [
        { role: "user", content: "hi" },
        {
          type: "message",
          role: "assistant",
          phase: "commentary",
          content: [{ type: "output_text", text: "Checking." }]
        },
        { role: "user", content: "go on" }
      ]
    })
    const items = await (await fetch(`${h.url}/v1/responses/${first.id}/input_items?order=asc`)).json()
    expect(items.data.map((i: any) => i.phase ?? null)).toEqual([null, "commentary", null])
    await json("/v1/responses", { model: "fake-model", previous_response_id: first.id, input: "and then?" })
    const assistants = lastUpstream().messages.filter((m: any) => m.role === "assistant")
    expect(assistants[0]).toMatchObject({ content: "Checking.", phase: "commentary" })
  })
  it("is not sent to an upstream not known to read it", async () => {
    const plain = await startHarness()
    try {
      await postSse(`${plain.url}/v1/responses`, {
        model: "fake-model",
        stream: true,
        input: [
          { type: "message", role: "assistant", phase: "final_answer", content: "Done." },
          { role: "user", content: "ok" }
        ]
      })
      expect(plain.upstream.requests.at(-1).messages[0]).toEqual({ role: "assistant", content: "Done." })
    } finally {
      await plain.close()
    }
  })
})

describe("item types", () => {
  it("additional_tools are offered like top-level tools; the call maps back to the namespaced custom tool", async () => {
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "fake-model",
      stream: true,
      store: false,
      input: [
        {
          type: "additional_tools",
          role: "developer",
          tools: [{ type: "namespace", name: "files", description: "", tools: [{ type: "custom", name: "patch" }] }]
        },
        { role: "user", content: "edit" }
      ]
    })
    expect(lastUpstream().tools.map((t: any) => t.function.name)).toEqual(["files__patch"])
    expect(violations(capture)).toEqual([])
    const done = capture.events.filter((e) => e.type === "response.output_item.done").map((e) => e.item)
    expect(done).toEqual([
      expect.objectContaining({ type: "custom_tool_call", name: "patch", namespace: "files", input: "x" })
    ])
  })
  it("hosted tools' items are skipped, not refused", async () => {
    await json("/v1/responses", {
      model: "fake-model",
      store: false,
      input: [
        { type: "web_search_call", id: "ws_1", status: "completed" },
        { role: "user", content: "hi" }
      ]
    })
    expect(lastUpstream().messages).toEqual([{ role: "user", content: "hi" }])
  })
})

describe("compaction", () => {
  const conversation = [
    { role: "user", content: "build the thing" },
    { type: "function_call", call_id: "c1", name: "sh", arguments: "{}" },
    { type: "function_call_output", call_id: "c1", output: "built" }
  ]

  it("a streamed request ending in compaction_trigger returns exactly one compaction item; sent back, it stands for the history", async () => {
    const capture = await postSse(`${h.url}/v1/responses`, {
      model: "fake-model",
      stream: true,
      store: false,
      tools: [{ type: "function", name: "sh" }],
      input: [...conversation, { type: "compaction_trigger" }]
    })
    expect(violations(capture)).toEqual([])
    expect(lastUpstream().tools).toBeUndefined()
    const done = capture.events.filter((e) => e.type === "response.output_item.done").map((e) => e.item)
    expect(done).toHaveLength(1)
    expect(done[0]).toMatchObject({
      type: "compaction",
      id: expect.stringMatching(/^cmp_/),
      encrypted_content: expect.stringMatching(/^pl1\./)
    })
    const terminal = capture.events.at(-1)
    expect(terminal.type).toBe("response.completed")
    expect(terminal.response.output).toEqual(done)
    // The summary never travels in clear.
    expect(JSON.stringify(capture.events)).not.toContain("echo:")

    await json("/v1/responses", {
      model: "fake-model",
      store: false,
      input: [{ role: "user", content: "build the thing" }, done[0], { role: "user", content: "continue" }]
    })
    const messages = lastUpstream().messages
    expect(messages.map((m: any) => m.role)).toEqual(["user", "user", "user"])
    expect(messages[1].content).toMatch(/^Summary of the conversation so far:\n\necho: Summarize the conversation/)
  })

  it("POST /v1/responses/compact (openai SDK responses.compact): the user messages, then one compaction item", async () => {
    const sdk = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "unused" })
    const compacted = await sdk.responses.compact({ model: "fake-model", input: conversation as any })
    expect(compacted.object).toBe("response.compaction")
    expect(compacted.output.map((i) => i.type)).toEqual(["message", "compaction"])
    expect(compacted.usage.total_tokens).toBeGreaterThan(0)
    const item = compacted.output[1] as { type: "compaction"; encrypted_content: string }
    await json("/v1/responses", {
      model: "fake-model",
      store: false,
      input: [...compacted.output, { role: "user", content: "next" }]
    })
    expect(lastUpstream().messages[1].content).toMatch(/^Summary of the conversation so far:/)
    expect(item.encrypted_content).toMatch(/^pl1\./)
  })

  it("compact with nothing to summarise is a 400, not a 5xx", async () => {
    const response = await post("/v1/responses/compact", { model: "fake-model", input: [] })
    expect(response.status).toBe(400)
    expect((await response.json()).error.param).toBe("input")
  })
})

describe("encrypted reasoning", () => {
  it("is sealed when included, and replayed across store:false turns the upstream receives the reasoning again", async () => {
    const first = await json("/v1/responses", {
      model: "vector/reasoning-then-tool-call",
      store: false,
      include: ["reasoning.encrypted_content"],
      tools: [{ type: "function", name: "get_weather" }],
      input: "weather?"
    })
    const reasoning = first.output.find((i: any) => i.type === "reasoning")
    expect(reasoning.encrypted_content).toMatch(/^pl1\./)
    expect(reasoning.encrypted_content).not.toContain("Need weather")
    const call = first.output.find((i: any) => i.type === "function_call")
    // Codex's replay: the reasoning as an opaque blob only, then the call and its output.
    await json("/v1/responses", {
      model: "fake-model",
      store: false,
      include: ["reasoning.encrypted_content"],
      input: [
        { role: "user", content: "weather?" },
        { type: "reasoning", id: reasoning.id, summary: [], encrypted_content: reasoning.encrypted_content },
        call,
        { type: "function_call_output", call_id: call.call_id, output: "sunny" }
      ]
    })
    const assistant = lastUpstream().messages.find((m: any) => m.role === "assistant")
    expect(assistant).toMatchObject({
      reasoning_content: "Need weather.",
      tool_calls: [expect.objectContaining({ id: call.call_id })]
    })
  })

  it("a blob from another server is ignored, never an error", async () => {
    await json("/v1/responses", {
      model: "fake-model",
      store: false,
      input: [
        { role: "user", content: "weather?" },
        { type: "reasoning", summary: [], encrypted_content: "gAAAAABpZ2AbCdEf-openai-blob" },
        { type: "function_call", call_id: "c9", name: "get_weather", arguments: "{}" },
        { type: "function_call_output", call_id: "c9", output: "sunny" }
      ]
    })
    const assistant = lastUpstream().messages.find((m: any) => m.role === "assistant")
    expect(assistant.reasoning_content).toBeUndefined()
    expect(assistant.tool_calls).toHaveLength(1)
  })
})

describe("the sealing key", () => {
  it("AES-GCM: a blob opens under its key only, and not once altered", () => {
    const a = makeSealer(loadKey({ secret: "one" }))
    const b = makeSealer(loadKey({ secret: "two" }))
    const blob = a.seal("reasoning", "thoughts")
    expect(a.unseal(blob)).toEqual({ kind: "reasoning", text: "thoughts" })
    expect(b.unseal(blob)).toBeUndefined()
    const flipped = blob.slice(0, -3) + (blob.at(-3) === "A" ? "B" : "A") + blob.slice(-2)
    expect(a.unseal(flipped)).toBeUndefined()
    expect(a.unseal("not a blob")).toBeUndefined()
    expect(a.seal("reasoning", "thoughts")).not.toBe(blob)
  })
  it("generated once into the data dir (mode 0600) and reused, so blobs survive a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "parlance-key-"))
    const first = makeSealer(loadKey({ dataDir: dir }))
    const again = makeSealer(loadKey({ dataDir: dir }))
    expect(again.unseal(first.seal("compaction", "summary"))).toEqual({ kind: "compaction", text: "summary" })
    expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, "secret.key"), "utf8").trim().length).toBeGreaterThan(40)
  })
})
