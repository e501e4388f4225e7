/**
 * `parlance chat`: an interactive terminal chat against any `/v1/responses` endpoint. Each line read from
 * stdin (a TTY or a pipe) is one turn, chained with `previous_response_id`; the answer streams as it arrives.
 * `/exit` or end of input quits. Errors are printed and the chat goes on.
 * @since 0.1.0
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createInterface } from "node:readline"
import * as Render from "./internal/chatRender.js"
import { type Endpoint, errorLine, firstModel, postResponses } from "./internal/responsesClient.js"

/** @category options */
export const baseUrlOption: Flag.Flag<string> = Flag.String("base-url").pipe(
  Flag.withDescription("Responses API base URL [env PARLANCE_BASE_URL] (default http://127.0.0.1:8080/v1)"),
  Flag.withFallbackConfig(Config.String("PARLANCE_BASE_URL")),
  Flag.withDefault("http://127.0.0.1:8080/v1")
)
/** @category options */
export const apiKeyOption: Flag.Flag<Option.Option<string>> = Flag.String("api-key").pipe(
  Flag.withDescription("Sent as Authorization: Bearer … [env PARLANCE_API_KEY]"),
  Flag.withFallbackConfig(Config.String("PARLANCE_API_KEY")),
  Flag.optional
)
/** @category options */
export const modelOption: Flag.Flag<Option.Option<string>> = Flag.String("model").pipe(
  Flag.withDescription("Model id (default: the first one GET /models lists)"),
  Flag.optional
)

const chatOptions = {
  baseUrl: baseUrlOption,
  model: modelOption,
  apiKey: apiKeyOption,
  instructions: Flag.String("instructions").pipe(
    Flag.withDescription("System instructions sent with every turn"),
    Flag.optional
  )
}

/** The model to use: the flag, else the server's first listed model, else "default". */
export const resolveModel = async (endpoint: Endpoint, model: Option.Option<string>): Promise<string> =>
  Option.getOrUndefined(model) ?? (await firstModel(endpoint)) ?? "default"

const write = (w: Render.Write) => (w.to === "out" ? process.stdout : process.stderr).write(w.text)

/** One turn: stream the answer to the terminal; the new response id when the turn succeeded. */
const turn = async (
  endpoint: Endpoint,
  style: Render.Style,
  body: Record<string, unknown>
): Promise<string | undefined> => {
  let state = Render.initialTurn
  const outcome = await postResponses(endpoint, body, (frame) => {
    const [next, writes] = Render.render(style, state, frame.json)
    state = next
    writes.forEach(write)
  })
  if (outcome._tag === "NetworkError") {
    write(Render.errorWrite(style, outcome.message))
    return undefined
  }
  if (outcome.status !== 200) {
    write(Render.errorWrite(style, errorLine(outcome.status, outcome.text)))
    return undefined
  }
  if (!outcome.contentType.includes("text/event-stream")) {
    write(Render.errorWrite(style, `expected an SSE stream, got ${outcome.contentType || "no content type"}`))
    return undefined
  }
  if (state.terminal === undefined) {
    if (!state.atLineStart) process.stdout.write("\n")
    write(Render.errorWrite(style, "the stream ended without a terminal event"))
    return undefined
  }
  return state.terminal === "response.completed" || state.terminal === "response.incomplete"
    ? state.responseId
    : undefined
}

/** @category commands */
export const chat = Command.make("chat", chatOptions, (options) =>
  Effect.promise(async () => {
    const endpoint: Endpoint = { baseUrl: options.baseUrl, apiKey: Option.getOrUndefined(options.apiKey) }
    const model = await resolveModel(endpoint, options.model)
    const instructions = Option.getOrUndefined(options.instructions)
    const interactive = process.stdin.isTTY === true
    const style: Render.Style = { ansi: process.stdout.isTTY === true }
    const lines = createInterface({
      input: process.stdin,
      ...(interactive ? { output: process.stdout, terminal: true } : { terminal: false })
    })
    if (interactive) {
      process.stdout.write(`parlance chat · ${model} @ ${endpoint.baseUrl}  (/exit or Ctrl-D to quit)\n`)
      lines.setPrompt("› ")
      lines.prompt()
    }
    let previous: string | undefined
    for await (const raw of lines) {
      const line = raw.trim()
      if (line === "/exit" || line === "/quit") break
      if (line !== "") {
        const body = {
          model,
          input: line,
          stream: true,
          ...(instructions ? { instructions } : {}),
          ...(previous ? { previous_response_id: previous } : {})
        }
        previous = (await turn(endpoint, style, body)) ?? previous
      }
      if (interactive) lines.prompt()
    }
    lines.close()
  })
).pipe(Command.withDescription("Chat with any /v1/responses server in the terminal (one line per turn; /exit quits)"))
