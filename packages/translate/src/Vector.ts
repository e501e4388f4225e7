/**
 * Test vectors any language can replay (`vectors/README.md`): one JSON file carries everything a replay needs —
 * every id, clock reading and sealed blob the translation drew, in order — so a port in another language
 * reads the file and nothing else. Two kinds:
 * - `stream`: Chat Completions chunks in → the exact Responses events out (the golden vectors, and every
 *   recording the server writes with `--record-dir`: a recording becomes a vector by copying the file);
 * - `request`: a Responses request with its resolved history (stored items, referenced items, file texts)
 *   → the exact Chat Completions request sent upstream.
 *
 * `replay(vector)` re-runs one and lists the mismatches. Portable: no Node built-in.
 * @since 0.1.0
 */
import { ResponseObject, ResponsesRequest } from "@parlance/schema"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as ChunkDecode from "./ChunkDecode.js"
import * as Ids from "./Ids.js"
import { isObject } from "./internal/json.js"
import * as Sequencer from "./Sequencer.js"
import * as ToChatRequest from "./ToChatRequest.js"
import type * as ToolMapping from "./ToolMapping.js"

const JsonObject = Schema.Record(Schema.String, Schema.Json)

const ToolTarget = Schema.Struct({
  kind: Schema.Literals(["function", "custom"]),
  name: Schema.String,
  namespace: Schema.optionalKey(Schema.String)
}).annotate({ description: "The Responses tool a Chat Completions function name stands for." })

const Tools = Schema.Record(Schema.String, ToolTarget).annotate({
  description: "Chat function name → the Responses tool it stands for; a name absent here is a plain function."
})

/** What a stream replay injects into the sequencer: nothing is invented at replay time. @category schemas */
export const StreamContext = Schema.Struct({
  responseId: Schema.String,
  createdAt: Schema.Int.annotate({ description: "Unix seconds: the response's created_at." }),
  clock: Schema.Array(Schema.Int).annotate({
    description: "Every clock reading (Unix seconds), in the order they are read: one per completed response."
  }),
  model: Schema.String,
  ids: Schema.Array(Schema.String).annotate({
    description: "Every id the translation draws, in order (items, generated call ids); the response id is apart."
  }),
  reasoning: Schema.Literals(["text", "summary"]).annotate({
    description: "Reasoning surfaces as reasoning_text content parts (text) or as summary parts (summary)."
  }),
  tools: Tools,
  echo: JsonObject.annotate({ description: "The request fields the Response object echoes back." }),
  seal: Schema.optionalKey(
    Schema.Struct({
      kind: Schema.Literals(["reasoning", "compaction"]),
      blobs: Schema.Array(Schema.String)
    }).annotate({
      description:
        "The response seals its reasoning (encrypted_content) or is a compaction; sealing is randomised, so every blob made is here, in order."
    })
  ),
  compacted: Schema.optionalKey(
    ResponseObject.Compaction.annotate({
      description: "Automatic compaction: the compaction item made before the generation, which opens the output."
    })
  )
})
/** @category models */
export type StreamContext = typeof StreamContext.Type

const Outcome = Schema.Union([
  Schema.Struct({ _tag: Schema.Literal("Failed"), code: Schema.String, message: Schema.String }),
  Schema.Struct({ _tag: Schema.Literal("Aborted"), message: Schema.optionalKey(Schema.String) })
]).annotate({ description: "How the input ends when it is not [DONE]: an upstream failure, or a stop on purpose." })

/** Chunks in → events out. @category schemas */
export const StreamVector = Schema.Struct({
  kind: Schema.Literal("stream"),
  name: Schema.String,
  description: Schema.String,
  context: StreamContext,
  request: Schema.optionalKey(Schema.Json).annotate({ description: "Recordings: the Responses request received." }),
  chatRequest: Schema.optionalKey(Schema.Json).annotate({ description: "Recordings: the request sent upstream." }),
  chunks: Schema.Array(Schema.Union([Schema.String, JsonObject])).annotate({
    description: "The upstream's chunks: a parsed JSON object, or a raw SSE data payload as a string ([DONE], garbage)."
  }),
  outcome: Schema.optionalKey(Outcome),
  expect: Schema.optionalKey(JsonObject).annotate({
    description: "Hand-written expectations of the generator (status, output texts): informative, not replayed."
  }),
  events: Schema.Array(JsonObject).annotate({ description: "The exact Responses stream events, in order." })
})
/** @category models */
export type StreamVector = typeof StreamVector.Type

/** What translating a request reads besides the request: resolved beforehand by the server. @category schemas */
export const RequestContext = Schema.Struct({
  history: Schema.Array(JsonObject).annotate({
    description: "The previous_response_id chain's input and output items, oldest first."
  }),
  references: Schema.Record(Schema.String, JsonObject).annotate({
    description: "item_reference id → the stored item it names (absent: not found)."
  }),
  files: Schema.Array(Schema.Struct({ part: JsonObject, text: Schema.String })).annotate({
    description: "The text of each input_file part, found by deep equality of the part."
  }),
  unsealed: Schema.Array(
    Schema.Struct({ blob: Schema.String, kind: Schema.Literals(["reasoning", "compaction"]), text: Schema.String })
  ).annotate({ description: "What encrypted_content blobs this server sealed contain; any other blob is foreign." }),
  options: Schema.Struct({
    strictTools: Schema.optionalKey(Schema.Boolean),
    defaultModel: Schema.optionalKey(Schema.String),
    assistantPhase: Schema.optionalKey(Schema.Boolean),
    compact: Schema.optionalKey(Schema.Boolean)
  })
})
/** @category models */
export type RequestContext = typeof RequestContext.Type

const RequestPlan = Schema.Struct({
  chatRequest: JsonObject,
  tools: Tools,
  reasoning: Schema.Literals(["text", "summary"]),
  compaction: Schema.Boolean,
  warnings: Schema.Array(Schema.String)
})
const RequestRefused = Schema.Struct({
  error: Schema.Struct({
    _tag: Schema.Literals(["UnsupportedFeature", "InvalidRequest"]),
    param: Schema.String,
    message: Schema.String,
    code: Schema.optionalKey(Schema.String)
  })
})

/** A Responses request → the Chat Completions request (or the refusal). @category schemas */
export const RequestVector = Schema.Struct({
  kind: Schema.Literal("request"),
  name: Schema.String,
  description: Schema.String,
  request: JsonObject,
  context: RequestContext,
  output: Schema.Union([RequestPlan, RequestRefused])
})
/** @category models */
export type RequestVector = typeof RequestVector.Type

/** One vector file. @category schemas */
export const Vector = Schema.Union([StreamVector, RequestVector]).annotate({
  title: "Parlance test vector",
  description: "A self-contained translation test vector (packages/translate/vectors/README.md)."
})
/** @category models */
export type Vector = typeof Vector.Type

/** The JSON Schema (draft 2020-12) of a vector file, as published in `vectors/vector.schema.json`. @category schemas */
export const jsonSchema = (): Record<string, unknown> => {
  const doc = Schema.toJsonSchemaDocument(Vector, { onExcessProperty: "error" })
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...doc.schema, $defs: doc.definitions }
}

/** @category models */
export interface Replayed {
  readonly name: string
  readonly kind: "stream" | "request" | undefined
  /** Empty when the replay reproduces the vector exactly. */
  readonly mismatches: ReadonlyArray<string>
  /** What the replay produced: the events (stream), the plan or refusal (request). */
  readonly actual: unknown
}

// An unknown field is an error (a misspelt one would silently not be replayed), as in the JSON Schema.
const decodeVector = Schema.decodeUnknownResult(Vector, { onExcessProperty: "error" })

/** Replays a vector (parsed JSON) and lists how the result differs from it. */
export const replay = (vector: unknown): Replayed => {
  const decoded = decodeVector(vector)
  if (Result.isFailure(decoded)) {
    const name = isObject(vector) && typeof vector.name === "string" ? vector.name : "?"
    return { name, kind: undefined, mismatches: [`not a vector: ${String(decoded.failure)}`], actual: undefined }
  }
  return decoded.success.kind === "stream" ? replayStream(decoded.success) : replayRequest(decoded.success)
}

// ---------------------------------------------------------------------------------------------------------------
// Stream vectors

/** The vector's chunks and outcome as sequencer inputs (strings are raw `data:` payloads). */
export const inputs = (vector: Pick<StreamVector, "chunks" | "outcome">): Array<Sequencer.Input> => [
  ...vector.chunks.map((c) => (typeof c === "string" ? ChunkDecode.fromData(c) : ChunkDecode.fromJson(c))),
  ...(vector.outcome === undefined
    ? []
    : [
        vector.outcome._tag === "Failed"
          ? Sequencer.failed(vector.outcome.code, vector.outcome.message)
          : Sequencer.aborted(vector.outcome.message)
      ])
]

/** A sequence handed out in order; what was asked past its end, and what was never asked, is a mismatch. */
const tape = <A>(values: ReadonlyArray<A>, what: string, problems: Array<string>) => {
  let next = 0
  return {
    take: (fallback: A, check?: (value: A) => string | undefined): A => {
      const value = values[next++]
      if (value === undefined) {
        problems.push(`${what} #${next - 1} was drawn but the vector records only ${values.length}`)
        return fallback
      }
      const problem = check?.(value)
      if (problem !== undefined) problems.push(`${what} #${next - 1}: ${problem}`)
      return value
    },
    leftover: () => {
      if (next < values.length) problems.push(`${values.length - next} of the recorded ${what}s were never drawn`)
    }
  }
}

/**
 * The sequencer's context from a vector's: ids, clock readings and sealed blobs handed back in order. The
 * `problems` array collects draws past the recorded ones; call `done()` after the run for the unused ones.
 */
export const streamContext = (
  context: StreamContext,
  problems: Array<string> = []
): { readonly ctx: Sequencer.Context; readonly done: () => void } => {
  const ids = tape(context.ids, "id", problems)
  const clock = tape(context.clock, "clock reading", problems)
  const blobs = tape(context.seal?.blobs ?? [], "sealed blob", problems)
  const seal = () => blobs.take("")
  const ctx: Sequencer.Context = {
    responseId: context.responseId,
    createdAt: context.createdAt,
    clock: () => clock.take(context.createdAt),
    model: context.model,
    ids: (prefix) =>
      ids.take(`${prefix}_missing`, (id) =>
        id.startsWith(`${prefix}_`) ? undefined : `the translation asked for a '${prefix}_' id, the vector has ${id}`
      ),
    reasoning: context.reasoning,
    tools: new Map(Object.entries(context.tools)),
    echo: context.echo,
    ...(context.seal?.kind === "reasoning" ? { sealReasoning: seal } : {}),
    ...(context.seal?.kind === "compaction" ? { sealCompaction: seal } : {}),
    ...(context.compacted !== undefined ? { compacted: context.compacted } : {})
  }
  return {
    ctx,
    done: () => {
      ids.leftover()
      clock.leftover()
      blobs.leftover()
    }
  }
}

const replayStream = (vector: StreamVector): Replayed => {
  const problems: Array<string> = []
  const { ctx, done } = streamContext(vector.context, problems)
  const { events } = Sequencer.run(ctx, inputs(vector))
  done()
  if (events.length !== vector.events.length)
    problems.push(`${events.length} events replayed, ${vector.events.length} recorded`)
  for (let i = 0; i < Math.min(events.length, vector.events.length); i++) {
    const diff = difference(events[i], vector.events[i], `events[${i}]`)
    if (diff !== undefined) {
      problems.push(diff)
      break
    }
  }
  return { name: vector.name, kind: "stream", mismatches: problems, actual: events }
}

// ---------------------------------------------------------------------------------------------------------------
// Request vectors

const decodeRequest = Schema.decodeUnknownResult(ResponsesRequest.CreateResponseRequest)

/** The translator's options from a request vector's context: every lookup answers from the file. */
export const requestOptions = (context: RequestContext): ToChatRequest.Options => ({
  ...context.options,
  resolveItem: (id) => context.references[id] as ToChatRequest.HistoryItem | undefined,
  fileText: (part) => context.files.find((f) => deepEqual(f.part, part))?.text,
  unseal: (blob) => {
    const found = context.unsealed.find((u) => u.blob === blob)
    return found === undefined ? undefined : { kind: found.kind, text: found.text }
  }
})

/** Translate a request as the vector says: its plan, or the refusal, in the vector's `output` shape. */
export const translateRequest = (request: unknown, context: RequestContext): RequestVector["output"] | string => {
  const decoded = decodeRequest(request)
  if (Result.isFailure(decoded)) return `the request does not decode: ${String(decoded.failure)}`
  const plan = ToChatRequest.toChatRequest(
    decoded.success,
    context.history as unknown as ReadonlyArray<ToChatRequest.HistoryItem>,
    requestOptions(context)
  )
  if (Result.isFailure(plan)) {
    const { _tag, param, message, code } = plan.failure
    return { error: { _tag, param, message, ...(code !== undefined ? { code } : {}) } }
  }
  // Through JSON: the output is what goes on the wire (undefined fields dropped).
  return JSON.parse(
    JSON.stringify({
      chatRequest: plan.success.request,
      tools: Object.fromEntries(plan.success.tools),
      reasoning: plan.success.reasoning,
      compaction: plan.success.compaction,
      warnings: plan.success.warnings
    })
  )
}

const replayRequest = (vector: RequestVector): Replayed => {
  const actual = translateRequest(vector.request, vector.context)
  if (typeof actual === "string") return { name: vector.name, kind: "request", mismatches: [actual], actual }
  const diff = difference(actual, vector.output, "output")
  return { name: vector.name, kind: "request", mismatches: diff === undefined ? [] : [diff], actual }
}

// ---------------------------------------------------------------------------------------------------------------
// Making vectors

/** A fresh context for chunks that come with none (a chunk file, a hand-written vector): recorded as drawn. */
export interface Fresh {
  readonly responseId?: string
  readonly createdAt?: number
  readonly completedAt?: number
  readonly model?: string
  readonly reasoning?: "text" | "summary"
  readonly tools?: Readonly<Record<string, ToolMapping.ToolTarget>>
  readonly echo?: Readonly<Record<string, unknown>>
}

/**
 * Runs chunks through the sequencer with deterministic ids (`msg_0001`, …) and clock, and writes down every
 * id and reading drawn: the result is a vector that `replay` reproduces.
 */
export const fromChunks = (input: {
  readonly name: string
  readonly description: string
  readonly chunks: ReadonlyArray<unknown>
  readonly outcome?: StreamVector["outcome"]
  readonly expect?: Readonly<Record<string, unknown>>
  readonly context?: Fresh
}): StreamVector => {
  const fresh = input.context ?? {}
  const ids: Array<string> = []
  const clock: Array<number> = []
  const counter = Ids.counter()
  const createdAt = fresh.createdAt ?? 1_700_000_000
  const context = {
    responseId: fresh.responseId ?? "resp_vector",
    createdAt,
    model: fresh.model ?? "local-model",
    reasoning: fresh.reasoning ?? "text",
    tools: fresh.tools ?? {},
    echo: fresh.echo ?? {}
  }
  const chunks = input.chunks as StreamVector["chunks"]
  const { events } = Sequencer.run(
    {
      ...context,
      tools: new Map(Object.entries(context.tools)),
      echo: context.echo,
      ids: (prefix) => {
        const id = counter(prefix)
        ids.push(id)
        return id
      },
      clock: () => {
        const now = fresh.completedAt ?? createdAt + 1
        clock.push(now)
        return now
      }
    },
    inputs({ chunks, ...(input.outcome !== undefined ? { outcome: input.outcome } : {}) })
  )
  return {
    kind: "stream",
    name: input.name,
    description: input.description,
    context: { ...context, clock, ids } as StreamContext,
    chunks,
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    ...(input.expect !== undefined ? { expect: input.expect as StreamVector["expect"] & object } : {}),
    events: JSON.parse(JSON.stringify(events))
  }
}

/** Translates the request and writes down the result: a request vector that `replay` reproduces. */
export const fromRequest = (input: {
  readonly name: string
  readonly description: string
  readonly request: Readonly<Record<string, unknown>>
  readonly context: RequestContext
}): RequestVector => {
  const output = translateRequest(input.request, input.context)
  if (typeof output === "string") throw new Error(`${input.name}: ${output}`)
  return {
    kind: "request",
    name: input.name,
    description: input.description,
    request: input.request as RequestVector["request"],
    context: input.context,
    output
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Equality of JSON values: key order aside, an undefined field is an absent one. */
const deepEqual = (a: unknown, b: unknown): boolean => difference(a, b, "") === undefined

/** The first place two JSON values differ, as `path: got ≠ want`; undefined when equal. */
export const difference = (got: unknown, want: unknown, path: string): string | undefined => {
  if (got === want) return undefined
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v).slice(0, 200))
  const mismatch = `${path}: ${show(got)} ≠ ${show(want)}`
  if (Array.isArray(got) && Array.isArray(want)) {
    for (let i = 0; i < Math.max(got.length, want.length); i++) {
      const diff = difference(got[i], want[i], `${path}[${i}]`)
      if (diff !== undefined) return diff
    }
    return undefined
  }
  if (isObject(got) && isObject(want)) {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)])
    for (const key of keys) {
      const diff = difference(got[key], want[key], `${path}.${key}`)
      if (diff !== undefined) return diff
    }
    return undefined
  }
  return mismatch
}
