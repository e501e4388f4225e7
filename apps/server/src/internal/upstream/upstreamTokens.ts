/**
 * A Chat Completions request's prompt tokens, counted by the upstream itself (docs/architecture.md#input-token-counts).
 * Detect, don't guess: the upstream is asked in the dialects of the two servers that can tokenize a chat, in
 * turn, and what answers in a known shape is what it is; with neither, counting is `not_supported` — never an
 * estimate. The dialect found is kept for the process; a failure to reach it, or a "none" older than a minute,
 * sends the next count through detection again (the upstream may have been restarted as another server).
 *
 * llama-server (ggml-org/llama.cpp, tools/server): both endpoints at the server's root, not under `/v1`.
 * - `POST /apply-template`: the chat completion body, parsed by the same `oaicompat_chat_params_parse` as
 *   `/v1/chat/completions` ("same with handle_chat_completions, but without inference part"), answers
 *   `{"prompt": "<rendered>"}`.
 * - `POST /tokenize`: `{"content", "add_special" (default false), "parse_special" (default true), "with_pieces"}`
 *   answers `{"tokens": [ids]}`; without `content` it answers `{"tokens": []}`. A chat completion's prompt is
 *   tokenized by `tokenize_input_prompts(vocab, mctx, prompt, true, true)` (add_special, parse_special), so the
 *   count asks for both. Images and audio become media markers in the rendered text, which `/tokenize` would
 *   count as text: a request with them is not counted (`not_supported`), never miscounted.
 *
 * vLLM (vllm-project/vllm, entrypoints/serve/tokenize): `POST /tokenize` at the root with a `TokenizeChatRequest`
 * (`model`, `messages`, `tools`, `add_generation_prompt` default true, `add_special_tokens` default false, both as
 * a chat completion has them, `chat_template_kwargs`) answers `TokenizeResponse` `{count, max_model_len, tokens}`.
 * A chat completion's `reasoning_effort` reaches the template as `chat_template_kwargs` `reasoning_effort` and
 * `enable_thinking` (`ChatCompletionRequest.build_chat_params`); the count passes them the same way. What
 * `TokenizeChatRequest` cannot carry stays out of the count: a server started with
 * `--exclude-tools-when-tool-choice-none`, or a template that renders `tool_choice` or `response_format`.
 */
import type { ChatBackend, ChatCompletions } from "@parlance/schema"
import * as Effect from "effect/Effect"
import type { Dispatcher } from "undici"
import * as UpstreamErrors from "./upstreamErrors.js"

type BackendError = ChatBackend.BackendError
type Request = ChatCompletions.ChatCompletionRequest

export type Dialect = "llama-server" | "vllm"

export interface Options {
  readonly dispatcher: Dispatcher
  /** The upstream's root path (its base URL less the `/v1`), where both servers serve their tokenizer. */
  readonly root: string
  readonly headers: Readonly<Record<string, string>>
  readonly headersTimeoutMs: number
  readonly bodyTimeoutMs: number
  /** The body `/chat/completions` is sent for `request` (one home: Upstream.ts). */
  readonly wireBody: (request: Request) => object
  /** A request that did not complete (refused, timed out) at this path from the origin: the error, logged. */
  readonly failed: (path: string, error: unknown) => Effect.Effect<never, BackendError>
  readonly now?: () => number
}

export interface Counter {
  readonly count: (request: Request) => Effect.Effect<number, BackendError>
}

/** How long "neither dialect answered" is believed before detection runs again. */
const noneForMs = 60_000

interface Exchange {
  readonly status: number
  readonly body: unknown
  readonly text: string
}

/** The endpoint is not there: the answer to a path a server does not route (404, 405; 422 is a foreign schema). */
const absent = (status: number) => status === 404 || status === 405 || status === 422

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const field = (body: unknown, name: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined

const hasMedia = (request: Request): boolean =>
  request.messages.some(
    (message) =>
      Array.isArray(message.content) && message.content.some((part) => part.type !== "text" && part.type !== "refusal")
  )

export const noTokenizer = () =>
  UpstreamErrors.notSupported(
    "Input token counts are not supported with this upstream: it serves neither llama-server's /apply-template " +
      "and /tokenize nor vLLM's /tokenize, and Parlance does not estimate."
  )

/** `undefined`: this dialect's endpoints are not there. */
type Attempt = Effect.Effect<number | undefined, BackendError>

export const make = (options: Options): Counter => {
  const now = options.now ?? Date.now
  let found: Dialect | undefined
  let noneSince: number | undefined

  const post = (path: string, body: object): Effect.Effect<Exchange, BackendError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const answer = await options.dispatcher.request({
          path: `${options.root}${path}`,
          method: "POST",
          headers: options.headers,
          body: JSON.stringify(body),
          signal,
          headersTimeout: options.headersTimeoutMs,
          bodyTimeout: options.bodyTimeoutMs
        })
        const text = await answer.body.text()
        return { status: answer.statusCode, text, body: parse(text) }
      },
      catch: (error) => error
    }).pipe(Effect.catch((error) => options.failed(`${options.root}${path}`, error)))

  const llamaServer = (request: Request): Attempt =>
    Effect.gen(function* () {
      const applied = yield* post("/apply-template", options.wireBody(request))
      if (absent(applied.status)) return undefined
      if (applied.status !== 200) return yield* Effect.fail(UpstreamErrors.fromStatus(applied.status, applied.text))
      const prompt = field(applied.body, "prompt")
      // A 200 in another shape (a web UI's fallback page) is not llama-server.
      if (typeof prompt !== "string") return undefined
      if (hasMedia(request))
        return yield* Effect.fail(
          UpstreamErrors.notSupported(
            "Input token counts of image or audio input are not supported with this upstream: llama-server's " +
              "/tokenize counts text only, and Parlance does not estimate."
          )
        )
      const tokenized = yield* post("/tokenize", { content: prompt, add_special: true, parse_special: true })
      if (absent(tokenized.status)) return undefined
      if (tokenized.status !== 200)
        return yield* Effect.fail(UpstreamErrors.fromStatus(tokenized.status, tokenized.text))
      const tokens = field(tokenized.body, "tokens")
      return Array.isArray(tokens) ? tokens.length : undefined
    })

  const vllm = (request: Request): Attempt =>
    Effect.gen(function* () {
      const effort = request.reasoning_effort
      const answer = yield* post("/tokenize", {
        model: request.model,
        messages: request.messages,
        ...(request.tools !== undefined && request.tools.length > 0 ? { tools: request.tools } : {}),
        add_generation_prompt: true,
        add_special_tokens: false,
        ...(effort != null
          ? { chat_template_kwargs: { reasoning_effort: effort, enable_thinking: effort !== "none" } }
          : {})
      })
      if (absent(answer.status)) return undefined
      if (answer.status !== 200) return yield* Effect.fail(UpstreamErrors.fromStatus(answer.status, answer.text))
      const count = field(answer.body, "count")
      // llama-server's /tokenize answers a body without `content` with `{"tokens": []}`: no count, not vLLM.
      return typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : undefined
    })

  const dialects: ReadonlyArray<readonly [Dialect, (request: Request) => Attempt]> = [
    ["llama-server", llamaServer],
    ["vllm", vllm]
  ]

  const detect = (request: Request): Effect.Effect<number, BackendError> =>
    Effect.gen(function* () {
      for (const [dialect, attempt] of dialects) {
        const counted = yield* attempt(request)
        if (counted !== undefined) {
          found = dialect
          noneSince = undefined
          yield* Effect.logInfo(`upstream tokenizer: ${dialect} (input token counts)`)
          return counted
        }
      }
      noneSince = now()
      yield* Effect.logInfo("upstream tokenizer: none (input token counts answer 501)")
      return yield* Effect.fail(noTokenizer())
    })

  /** The dialect found: a failure to reach it (not an answer) forgets it, so that the next count detects again. */
  const withFound = (dialect: Dialect, request: Request): Effect.Effect<number, BackendError> =>
    Effect.gen(function* () {
      const attempt = dialects.find(([name]) => name === dialect)![1]
      const counted = yield* attempt(request).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            if (error.reason === "unreachable" || error.reason === "timeout") found = undefined
          })
        )
      )
      if (counted !== undefined) return counted
      // Its endpoints are gone: another server answers there now.
      found = undefined
      return yield* detect(request)
    })

  const count = (request: Request): Effect.Effect<number, BackendError> =>
    Effect.suspend(() => {
      if (found !== undefined) return withFound(found, request)
      if (noneSince !== undefined && now() - noneSince < noneForMs) return Effect.fail(noTokenizer())
      return detect(request)
    })

  return { count }
}
