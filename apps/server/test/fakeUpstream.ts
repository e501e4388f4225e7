/**
 * A faithful fake Chat Completions server over real HTTP (the test double for a remote llama-server / vLLM /
 * Ollama that cannot run here). It speaks the wire exactly: `data: <json>\n\n` frames, `data: [DONE]`,
 * OpenAI error bodies and statuses, and it can misbehave on purpose. The `model` field picks the behaviour:
 *   vector/<name>   replay that golden vector's chunks (strings are sent raw; an `outcome` drops the socket)
 *   fault/<status>  answer with that HTTP status and an OpenAI error body
 *   fault/hang      never answer (for timeouts)
 *   fault/stall     answer, send one chunk, then go silent (for the idle timeout)
 *   bench/<n>[/<ms>] n text chunks, back to back or one every <ms> (the proxy benchmark)
 *   slow            one text chunk every 50 ms, 200 of them (for cancel / disconnect)
 *   anything else   a scripted assistant: calls the first tool when tools are offered and the last message
 *                   is the user's, otherwise answers with text that echoes what it saw; a model named
 *                   reasoning… first streams `reasoning_content` (a reasoning model, as llama-server sends it)
 * Its `flavor` adds a real server's tokenizer endpoints (fakeTokenizers.ts): `llama-server` or `vllm`, whose chat
 * completions then report `prompt_tokens` as that server counts them; `plain` (the default) has none, and any
 * POST outside `…/chat/completions` gets a 404, as from a server without them.
 */
import { readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import * as FakeTokenizers from "./fakeTokenizers.js"

export const vectorDir = join(import.meta.dirname, "../../../packages/translate/vectors")
export const vectors: Array<{
  name: string
  chunks: Array<unknown>
  outcome?: unknown
  expect: any
  events: Array<unknown>
  context?: any
}> = JSON.parse(readFileSync(join(vectorDir, "index.json"), "utf8"))
  .vectors.map((f: string) => JSON.parse(readFileSync(join(vectorDir, f), "utf8")))
  .filter((v: { kind: string }) => v.kind === "stream")

export interface FakeUpstream {
  readonly url: string
  readonly requests: Array<any>
  /** POSTs outside `…/chat/completions` (the tokenizer endpoints), in order. */
  readonly others: Array<{ readonly path: string; readonly body: any }>
  /** Connections the fake saw closed by the client before it finished. */
  readonly aborted: () => number
  readonly close: () => Promise<void>
}

const frame = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`
const base = (model: string) => ({
  id: "chatcmpl-fake",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model
})
const chunk = (model: string, delta: Record<string, unknown>, finish_reason: string | null = null) => ({
  ...base(model),
  choices: [{ index: 0, delta, finish_reason }]
})

const textOf = (content: unknown): string =>
  typeof content === "string" ? content : Array.isArray(content) ? content.map((p: any) => p.text ?? "").join("") : ""

/** Arguments that satisfy a tool's JSON schema well enough: every required string property gets a value. */
const argsFor = (tool: any): string => {
  const params = tool?.function?.parameters ?? {}
  // With a `required` list only those properties are filled: made-up optional ones (Codex's `shell: "x"`,
  // `max_output_tokens: 1`) would break the call. An enum takes its first value.
  const wanted = (name: string) => !Array.isArray(params.required) || params.required.includes(name)
  const out: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries<any>(params.properties ?? {})) {
    if (!wanted(name)) continue
    if (schema.type === "string")
      out[name] =
        Array.isArray(schema.enum) && schema.enum.length > 0 ? schema.enum[0] : name === "city" ? "Paris" : "x"
    else if (schema.type === "number" || schema.type === "integer") out[name] = 1
    else if (schema.type === "boolean") out[name] = true
  }
  return JSON.stringify(out)
}

const script = (body: any, promptTokens?: number): Array<unknown> => {
  const model = body.model
  const messages: Array<any> = body.messages ?? []
  const last = messages[messages.length - 1]
  const tools: Array<any> = body.tools ?? []
  const prompt = promptTokens ?? 10 + messages.length
  const usage = {
    ...base(model),
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 }
  }
  const thinking = String(model).startsWith("reasoning")
    ? [
        chunk(model, { reasoning_content: "Thinking about " }),
        chunk(model, { reasoning_content: `${messages.length} messages.` })
      ]
    : []
  // A conversation summary (after a compaction) is not a new request: the scripted model goes on in words.
  const summary = last?.role === "user" && textOf(last.content).startsWith("Summary of the conversation so far:")
  if (tools.length > 0 && body.tool_choice !== "none" && last?.role === "user" && !summary) {
    const args = argsFor(tools[0])
    return [
      chunk(model, { role: "assistant", content: null }),
      ...thinking,
      chunk(model, {
        tool_calls: [
          {
            index: 0,
            id: `call_${messages.length}`,
            type: "function",
            function: { name: tools[0].function.name, arguments: "" }
          }
        ]
      }),
      chunk(model, { tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }),
      chunk(model, { tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }),
      chunk(model, {}, "tool_calls"),
      usage,
      "[DONE]"
    ]
  }
  const said = last?.role === "tool" ? `tool said: ${textOf(last.content)}` : `echo: ${textOf(last?.content)}`
  const text = `${said} (messages: ${messages.length})`
  const words = text.match(/\S+\s*/g) ?? [text]
  return [
    chunk(model, { role: "assistant", content: "" }),
    ...thinking,
    ...words.map((w) => chunk(model, { content: w })),
    chunk(model, {}, "stop"),
    usage,
    "[DONE]"
  ]
}

const aggregate = (model: string, chunks: Array<unknown>) => {
  let content = ""
  const calls: Array<any> = []
  let finish = "stop"
  for (const c of chunks as Array<any>) {
    if (typeof c === "string") continue
    for (const choice of c.choices ?? []) {
      content += choice.delta?.content ?? ""
      for (const t of choice.delta?.tool_calls ?? []) {
        calls[t.index] ??= { id: t.id, type: "function", function: { name: t.function?.name ?? "", arguments: "" } }
        calls[t.index].function.arguments += t.function?.arguments ?? ""
      }
      if (choice.finish_reason) finish = choice.finish_reason
    }
  }
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: calls.length ? null : content,
          ...(calls.length ? { tool_calls: calls } : {})
        },
        finish_reason: finish,
        logprobs: null
      }
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
  }
}

export const startFakeUpstream = async (
  options: { readonly flavor?: FakeTokenizers.Flavor } = {}
): Promise<FakeUpstream> => {
  const flavor = options.flavor ?? "plain"
  const requests: Array<any> = []
  const others: Array<{ path: string; body: any }> = []
  let aborted = 0
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" })
      return res.end(
        JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }] })
      )
    }
    let raw = ""
    for await (const part of req) raw += part
    const body = JSON.parse(raw)
    const path = (req.url ?? "").split("?")[0]!
    if (!path.endsWith("/chat/completions")) {
      others.push({ path, body })
      const answer = FakeTokenizers.answer(flavor, path, body)
      res.writeHead(answer.status, { "content-type": "application/json" })
      return res.end(JSON.stringify(answer.body))
    }
    requests.push(body)
    const model: string = body.model ?? ""
    if (model === "fault/hang") return
    if (model === "fault/stall") {
      // Headers and one chunk, then silence with the connection open.
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.on("close", () => {
        if (!res.writableFinished) aborted++
      })
      return res.write(frame(chunk(model, { role: "assistant", content: "stalled" })))
    }
    if (model.startsWith("fault/")) {
      const status = Number(model.slice(6))
      res.writeHead(status, { "content-type": "application/json" })
      return res.end(
        JSON.stringify({ error: { message: `fake upstream says ${status}`, type: "server_error", code: null } })
      )
    }
    let chunks: Array<unknown>
    let drop = false
    let delay = 0
    if (model.startsWith("vector/")) {
      const vector = vectors.find((v) => v.name === model.slice(7))
      if (!vector) {
        res.writeHead(404, { "content-type": "application/json" })
        return res.end(JSON.stringify({ error: { message: `no vector ${model}`, type: "invalid_request_error" } }))
      }
      chunks = vector.chunks
      drop = vector.outcome !== undefined
    } else if (model.startsWith("bench/")) {
      const [, count, pace] = model.split("/")
      const n = Number(count)
      delay = Number(pace ?? 0)
      chunks = [
        chunk(model, { role: "assistant", content: "" }),
        ...Array.from({ length: n }, (_, i) => chunk(model, { content: `token${i} ` })),
        chunk(model, {}, "stop"),
        { ...base(model), choices: [], usage: { prompt_tokens: 20, completion_tokens: n, total_tokens: 20 + n } },
        "[DONE]"
      ]
    } else if (model === "slow") {
      chunks = [
        chunk(model, { role: "assistant", content: "" }),
        ...Array.from({ length: 200 }, (_, i) => chunk(model, { content: `w${i} ` })),
        chunk(model, {}, "stop"),
        "[DONE]"
      ]
      delay = 50
    } else chunks = script(body, FakeTokenizers.chatPromptTokens(flavor, body))

    if (body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" })
      return res.end(JSON.stringify(aggregate(model, chunks)))
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
    let closed = false
    res.on("close", () => {
      if (!res.writableFinished) {
        closed = true
        aborted++
      }
    })
    for (const c of chunks) {
      if (closed) return
      res.write(frame(c))
      if (delay > 0) await new Promise((r) => setTimeout(r, delay))
    }
    // Let the frames reach the client first: a real drop happens mid-stream, after bytes flowed.
    if (drop) return setTimeout(() => res.socket?.destroy(), 30)
    res.end()
  }
  const server: Server = createServer((req, res) => {
    // A body it cannot make sense of gets a 400, as a real server answers it.
    handle(req, res).catch((error) => {
      if (res.headersSent) return res.destroy()
      res.writeHead(400, { "content-type": "application/json" })
      res.end(
        JSON.stringify({
          error: {
            message: `fake upstream cannot read this: ${String(error)}`,
            type: "invalid_request_error",
            param: null,
            code: null
          }
        })
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    others,
    aborted: () => aborted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The Responses request fields a vector's context implies (its tools, its reasoning mode). */
export const requestFor = (vector: (typeof vectors)[number]): Record<string, unknown> => {
  const tools: Array<unknown> = []
  for (const target of Object.values<any>(vector.context?.tools ?? {})) {
    if (target.kind === "custom") tools.push({ type: "custom", name: target.name })
    else if (target.namespace)
      tools.push({
        type: "namespace",
        name: target.namespace,
        description: "",
        tools: [{ type: "function", name: target.name }]
      })
    else tools.push({ type: "function", name: target.name })
  }
  return {
    model: `vector/${vector.name}`,
    input: "hi",
    ...(tools.length > 0 ? { tools } : {}),
    ...(vector.context?.reasoning === "summary" ? { reasoning: { summary: "auto" } } : {})
  }
}
