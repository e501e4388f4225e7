/**
 * The tokenizer endpoints of llama-server and vLLM, faithful to their request and response shapes (see
 * src/internal/upstream/upstreamTokens.ts for the sources read), over a toy chat template and tokenizer. The
 * fake upstream's chat completions report `prompt_tokens` from the same rendering, as the real servers do, so a
 * test can hold a count to the usage of the same request.
 *
 * - llama-server: `POST /apply-template` (the chat body → `{prompt}`, BOS left to the tokenizer) and
 *   `POST /tokenize` (`{content, add_special=false, parse_special=true}` → `{tokens}`; no `content` → `{tokens: []}`).
 *   A chat completion is tokenized with add_special and parse_special. Unknown paths: llama-server's 404 body.
 * - vLLM: `POST /tokenize`, a `TokenizeChatRequest` (`messages`, `tools`, `add_generation_prompt=true`,
 *   `add_special_tokens=false`, `chat_template_kwargs`) or a `TokenizeCompletionRequest` (`prompt`,
 *   `add_special_tokens=true`) → `{count, max_model_len, tokens}`; the template writes the BOS itself. A chat
 *   completion's `reasoning_effort` reaches the template as it does in vLLM. Unknown paths: FastAPI's 404 body.
 */
export type Flavor = "plain" | "llama-server" | "vllm"

const specials = ["<s>", "<|im_start|>", "<|im_end|>"]
const BOS = 1

/** A toy tokenizer: special tokens (when parsed), words, single other characters. */
export const tokenize = (text: string, addSpecial: boolean, parseSpecial: boolean): Array<number> => {
  const pattern = parseSpecial ? /<s>|<\|im_start\|>|<\|im_end\|>|\w+|\s|[^\s\w]/g : /\w+|\s|[^\s\w]/g
  const ids = (text.match(pattern) ?? []).map((piece) => {
    const special = specials.indexOf(piece)
    if (special >= 0) return special + 1
    let hash = 7
    for (const ch of piece) hash = (hash * 31 + ch.charCodeAt(0)) % 30_000
    return 100 + hash
  })
  return addSpecial ? [BOS, ...ids] : ids
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p: any) => (p.type === "text" ? p.text : `<__media__:${p.type}>`)).join("")
      : ""

/** A ChatML-like template: tools in a system block, tool calls as JSON, the generation prompt last. */
const render = (body: any, kwargs: { readonly reasoning_effort?: unknown }): string => {
  const tools: Array<any> = body.tools ?? []
  let out = ""
  if (tools.length > 0)
    out += `<|im_start|>system\n# Tools\n${tools.map((t) => JSON.stringify(t)).join("\n")}<|im_end|>\n`
  if (typeof kwargs.reasoning_effort === "string")
    out += `<|im_start|>system\nReasoning: ${kwargs.reasoning_effort}<|im_end|>\n`
  for (const m of body.messages ?? []) {
    const calls = (m.tool_calls ?? []).map(
      (c: any) => `\n<tool_call>${c.function.name} ${c.function.arguments}</tool_call>`
    )
    out += `<|im_start|>${m.role}\n${textOf(m.content)}${calls.join("")}<|im_end|>\n`
  }
  return `${out}<|im_start|>assistant\n`
}

/** llama-server's rendering (BOS added by the tokenizer) and vLLM's (the template writes `<s>`). */
const llamaPrompt = (body: any) => render(body, { reasoning_effort: body.reasoning_effort })
const vllmPrompt = (body: any, kwargs: any) => `<s>${render(body, kwargs ?? {})}`

/** `prompt_tokens` of a chat completion, as this flavor's server counts it; undefined for the plain fake. */
export const chatPromptTokens = (flavor: Flavor, body: any): number | undefined =>
  flavor === "llama-server"
    ? tokenize(llamaPrompt(body), true, true).length
    : flavor === "vllm"
      ? tokenize(vllmPrompt(body, { reasoning_effort: body.reasoning_effort }), false, true).length
      : undefined

export interface Answer {
  readonly status: number
  readonly body: unknown
}

const llamaNotFound: Answer = {
  status: 404,
  body: { error: { code: 404, message: "File Not Found", type: "not_found_error" } }
}
const fastApiNotFound: Answer = { status: 404, body: { detail: "Not Found" } }

/** A POST to a path other than `…/chat/completions`. */
export const answer = (flavor: Flavor, path: string, body: any): Answer => {
  if (flavor === "llama-server") {
    if (path === "/apply-template") return { status: 200, body: { prompt: llamaPrompt(body) } }
    if (path === "/tokenize") {
      if (body.content === undefined) return { status: 200, body: { tokens: [] } }
      return {
        status: 200,
        body: { tokens: tokenize(body.content, body.add_special ?? false, body.parse_special ?? true) }
      }
    }
    return llamaNotFound
  }
  if (flavor === "vllm" && path === "/tokenize") {
    if (Array.isArray(body.messages)) {
      const kwargs = { ...(body.chat_template_kwargs ?? {}) }
      const tokens = tokenize(vllmPrompt(body, kwargs), body.add_special_tokens ?? false, true)
      return { status: 200, body: { count: tokens.length, max_model_len: 8192, tokens, token_strs: null } }
    }
    if (typeof body.prompt === "string") {
      const tokens = tokenize(body.prompt, body.add_special_tokens ?? true, true)
      return { status: 200, body: { count: tokens.length, max_model_len: 8192, tokens, token_strs: null } }
    }
    return {
      status: 400,
      body: {
        error: {
          message: "1 validation error: messages Field required",
          type: "BadRequestError",
          param: null,
          code: 400
        }
      }
    }
  }
  return fastApiNotFound
}
