/**
 * The Open Responses compliance suite's seven WebSocket tests (github.com/openresponses/openresponses,
 * src/lib/compliance-tests.ts: websocket-response, websocket-sequential-responses, websocket-continuation,
 * websocket-reconnect-store-false-recovery, websocket-previous-response-not-found,
 * websocket-failed-continuation-evicts-cache, websocket-compact-new-chain), ported assertion for assertion
 * against the real server over loopback (proxy mode, the fake upstream): no network.
 *
 * As the suite does: a plain WebSocket with the key in the handshake headers; each request validated against
 * the spec's WebSocketResponseCreateEvent before it is sent; one turn per request, sent after the previous
 * turn's terminal event (or error event); every message validated as a streaming event or a WebSocketErrorEvent;
 * each terminal Response validated against ResponseResource, then the test's own checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SpecValidator } from "@parlance/open-responses"
import WebSocket from "ws"
import { type Harness, startHarness } from "./harness.js"

const apiKey = "sk-compliance"
const model = "fake-model"
let h: Harness
beforeAll(async () => {
  h = await startHarness({ apiKey })
})
afterAll(() => h.close())

type Body = Record<string, unknown>

interface Turn {
  events: Array<unknown>
  errors: Array<string>
  finalResponse: any
  errorCode: string | null
  errorEvent?: unknown
  request?: Body
}

const terminalResponse = (data: any) =>
  data?.type === "response.completed" || data?.type === "response.failed" || data?.type === "response.incomplete"
    ? (data.response ?? null)
    : null

const streamingErrorCode = (data: any): string | null =>
  data && typeof data.error === "object" && data.error !== null && typeof data.error.code === "string"
    ? data.error.code
    : null

const responseErrorCode = (response: any): string | null =>
  response && typeof response.error === "object" && response.error !== null && typeof response.error.code === "string"
    ? response.error.code
    : null

const turnErrorCode = (turn: Turn | undefined) => turn?.errorCode ?? responseErrorCode(turn?.finalResponse)
const isFailedTurn = (turn: Turn | undefined) =>
  Boolean(turn?.errorEvent) || Boolean(turnErrorCode(turn)) || turn?.finalResponse?.status === "failed"

/** The suite's `makeWebSocketSession`: one socket, the steps in turn. */
const session = (
  steps: ReadonlyArray<Body | ((previous: Array<Turn>) => Body)>,
  options: { validateRequests?: boolean } = {}
): Promise<Array<Turn>> =>
  new Promise((resolve, reject) => {
    const turns: Array<Turn> = steps.map(() => ({ events: [], errors: [], finalResponse: null, errorCode: null }))
    let index = 0
    let settled = false
    let timeout: ReturnType<typeof setTimeout> | undefined
    const ws = new WebSocket(`${h.url.replace(/^http/, "ws")}/v1/responses`, {
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` }
    })
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timeout)
      ws.close()
      resolve(turns)
    }
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timeout)
      ws.close()
      reject(error)
    }
    const sendCurrent = () => {
      if (index >= steps.length) return finish()
      const step = steps[index]!
      let body: Body
      try {
        body = typeof step === "function" ? step(turns.slice(0, index)) : step
      } catch (error) {
        return fail(error as Error)
      }
      if (options.validateRequests !== false) {
        const problems = SpecValidator.validateWebSocketCreate(body)
        if (problems.length > 0) return fail(new Error(`Request ${index + 1}: ${problems.join("; ")}`))
      }
      turns[index]!.request = body
      clearTimeout(timeout)
      timeout = setTimeout(() => {
        turns[index]?.errors.push("Timed out waiting for terminal WebSocket response event")
        finish()
      }, 30_000)
      ws.send(JSON.stringify(body))
    }
    const completeCurrent = () => {
      clearTimeout(timeout)
      index += 1
      if (index >= steps.length) finish()
      else sendCurrent()
    }
    ws.on("open", sendCurrent)
    ws.on("message", (raw) => {
      const turn = turns[index]
      if (!turn) return
      const data = raw.toString()
      if (data === "[DONE]") {
        if (!turn.finalResponse && !turn.errorCode)
          turn.errors.push("Received [DONE] before a terminal WebSocket event")
        return completeCurrent()
      }
      let parsed: any
      try {
        parsed = JSON.parse(data)
      } catch {
        turn.errors.push(`Failed to parse WebSocket event data: ${data}`)
        return
      }
      turn.events.push(parsed)
      const problems = SpecValidator.validateWebSocketEvent(parsed)
      if (problems.length > 0) turn.errors.push(`Event validation failed for ${parsed?.type}: ${problems.join("; ")}`)
      const response = terminalResponse(parsed)
      if (response) {
        turn.finalResponse = response
        return completeCurrent()
      }
      const code = streamingErrorCode(parsed)
      if (parsed?.type === "error" || code) {
        turn.errorCode = code
        turn.errorEvent = parsed
        if (!code) turn.errors.push(`WebSocket error event: ${JSON.stringify(parsed)}`)
        completeCurrent()
      }
    })
    ws.on("error", () => fail(new Error("WebSocket connection failed")))
    ws.on("close", () => {
      const turn = turns[index]
      if (!settled && turn && !turn.finalResponse && !turn.errorCode)
        turn.errors.push("WebSocket closed before a terminal response event")
      finish()
    })
  })

/** The suite's `createResponseResult` with `streamingEvents`, `streamingSchema`, `completedStatus`: its errors. */
const responseErrors = (turn: Turn): Array<string> => {
  const schema = SpecValidator.validateResponse(turn.finalResponse)
  if (schema.length > 0) return [...turn.errors, ...schema]
  const errors: Array<string> = []
  if (turn.events.length === 0) errors.push("No streaming events received")
  errors.push(...turn.errors)
  if (turn.finalResponse.status !== "completed")
    errors.push(`Expected status "completed" but got "${turn.finalResponse.status}"`)
  return errors
}

/** The suite's `hasResponseId`. */
const hasResponseId = (response: unknown): Array<string> => {
  const schema = SpecValidator.validateResponse(response)
  if (schema.length > 0) return schema
  return (response as any).id ? [] : ["Warmup response did not include an id"]
}

describe("Open Responses compliance suite: WebSocket tests", () => {
  it("websocket-response: a response over WebSocket, its streaming events valid", async () => {
    const [turn] = await session([
      { type: "response.create", model, input: [{ type: "message", role: "user", content: "Count from 1 to 3." }] }
    ])
    expect(responseErrors(turn!)).toEqual([])
  })

  it("websocket-sequential-responses: several response.create on one connection, each terminal", async () => {
    const turns = await session([
      { type: "response.create", model, store: false, input: "Reply with exactly: first" },
      { type: "response.create", model, store: false, input: "Reply with exactly: second" }
    ])
    const errors = turns.flatMap((turn, i) => responseErrors(turn).map((e) => `Turn ${i + 1}: ${e}`))
    expect(errors).toEqual([])
  })

  it("websocket-continuation: a store:false response continued on the active socket with only new input", async () => {
    const [first, second] = await session([
      { type: "response.create", model, store: false, input: "Remember the code word: cobalt. Reply with OK." },
      (turns) => {
        const previous = turns[0]?.finalResponse?.id
        if (!previous) throw new Error("First WebSocket turn did not return a response id")
        return {
          type: "response.create",
          model,
          store: false,
          previous_response_id: previous,
          input: "What is the code word? Reply with only the code word."
        }
      }
    ])
    expect([...first!.errors, ...hasResponseId(first!.finalResponse)]).toEqual([])
    expect(second).toBeDefined()
    expect(responseErrors(second!)).toEqual([])
    // Beyond the suite: the continuation really carried the first turn (the fake upstream saw both).
    expect(h.upstream.requests.at(-1).messages.length).toBe(3)
  })

  it("websocket-reconnect-store-false-recovery: a new socket cannot continue a store:false chain; a clean response can", async () => {
    const [first] = await session([
      { type: "response.create", model, store: false, input: "Remember the code word: copper. Reply with OK." }
    ])
    expect([...first!.errors, ...hasResponseId(first!.finalResponse)]).toEqual([])
    const previous = first!.finalResponse.id
    const recovery: Body = {
      type: "response.create",
      model,
      store: false,
      input: [
        {
          type: "message",
          role: "user",
          content:
            "The previous store:false chain could not continue after reconnect. Start a new response and reply with exactly: recovered"
        }
      ]
    }
    const [reconnect, recovered] = await session([
      {
        type: "response.create",
        model,
        store: false,
        previous_response_id: previous,
        input: "Try to continue after reconnect. Reply with exactly: reconnected"
      },
      recovery
    ])
    const errors = [...reconnect!.errors]
    const code = turnErrorCode(reconnect)
    if (code !== "previous_response_not_found")
      errors.push(`Expected previous_response_not_found after reconnecting a store:false chain but got ${code}`)
    expect(recovered).toBeDefined()
    errors.push(...responseErrors(recovered!))
    expect("previous_response_id" in recovery).toBe(false)
    expect(errors).toEqual([])
  })

  it("websocket-previous-response-not-found: an uncached previous_response_id answers previous_response_not_found", async () => {
    const [turn] = await session([
      {
        type: "response.create",
        model,
        store: false,
        previous_response_id: `resp_openresponses_missing_${Date.now()}`,
        input: "This should fail because the previous response is missing."
      }
    ])
    const code = turn!.errorCode ?? responseErrorCode(turn!.finalResponse)
    expect(code).toBe("previous_response_not_found")
    expect(turn!.errors).toEqual([])
  })

  it("websocket-failed-continuation-evicts-cache: a failed continuation evicts the response it named", async () => {
    const continuing = (input: unknown) => (turns: Array<Turn>) => {
      const previous = turns[0]?.finalResponse?.id
      if (!previous) throw new Error("First WebSocket turn did not return a response id")
      return { type: "response.create", model, store: false, previous_response_id: previous, input }
    }
    const [first, failed, retry] = await session([
      { type: "response.create", model, store: false, input: "Remember the code word: ember. Reply with OK." },
      continuing([
        {
          type: "function_call_output",
          call_id: "call_openresponses_missing",
          output: "No matching tool call exists in the previous response."
        }
      ]),
      continuing("Try to continue after the failed turn. Reply with exactly: stale")
    ])
    const errors = [...first!.errors, ...hasResponseId(first!.finalResponse)]
    expect(failed).toBeDefined()
    if (!isFailedTurn(failed))
      errors.push(
        ...failed!.errors,
        `Expected second WebSocket continuation turn to fail but got status ${failed!.finalResponse?.status}`
      )
    expect(retry).toBeDefined()
    errors.push(...retry!.errors)
    const code = turnErrorCode(retry)
    if (code !== "previous_response_not_found")
      errors.push(`Expected previous_response_not_found after failed continuation eviction but got ${code}`)
    expect(errors).toEqual([])
  })

  it("websocket-compact-new-chain: /responses/compact output starts a new WebSocket chain", async () => {
    const compactRequest = {
      model,
      input: [
        {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "Remember the compaction code word: slate." }]
        },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "OK." }] },
        {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "Compress this conversation for later continuation." }]
        }
      ]
    }
    const compacted = await fetch(`${h.url}/v1/responses/compact`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(compactRequest)
    })
    const body: any = await compacted.json()
    expect(compacted.ok, JSON.stringify(body)).toBe(true)
    expect(Array.isArray(body.output)).toBe(true)
    const request: Body = {
      type: "response.create",
      model,
      store: false,
      input: [
        ...body.output,
        { type: "message", role: "user", content: "Continue from here. Reply with exactly: compacted" }
      ],
      tools: []
    }
    const [turn] = await session([request], { validateRequests: false })
    expect(responseErrors(turn!)).toEqual([])
    expect("previous_response_id" in request).toBe(false)
  })
})

describe("dialect over a WebSocket", () => {
  /** One response over a fresh socket; the event types in order. */
  const typesOver = (headers: Record<string, string>): Promise<Array<string>> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${h.url.replace(/^http/, "ws")}/v1/responses`, {
        headers: { Authorization: `Bearer ${apiKey}`, ...headers }
      })
      const types: Array<string> = []
      const timer = setTimeout(() => (ws.close(), reject(new Error("no terminal event"))), 20_000)
      ws.on("open", () =>
        // A model the fake upstream answers with reasoning first.
        ws.send(
          JSON.stringify({ type: "response.create", model: "reasoning-model", input: "Count to 3.", store: false })
        )
      )
      ws.on("message", (raw) => {
        const event = JSON.parse(raw.toString())
        types.push(event.type)
        if (terminalResponse(event) !== null) {
          clearTimeout(timer)
          ws.close()
          resolve(types)
        }
      })
      ws.on("error", reject)
    })

  it("speaks the spec's event names when the handshake carries OpenResponses-Version, OpenAI's otherwise", async () => {
    const spec = await typesOver({ "OpenResponses-Version": "latest" })
    const openai = await typesOver({})
    expect(spec).toContain("response.reasoning.delta")
    expect(spec).toContain("response.reasoning.done")
    expect(spec.some((t) => t.startsWith("response.reasoning_text."))).toBe(false)
    expect(openai).toContain("response.reasoning_text.delta")
    expect(openai.some((t) => t === "response.reasoning.delta")).toBe(false)
    // The same stream, named two ways.
    expect(spec.map((t) => t.replace("response.reasoning.", "response.reasoning_text."))).toEqual(openai)
  })
})
