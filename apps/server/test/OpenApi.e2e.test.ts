/**
 * `GET /openapi.json` over loopback: behind the key, a valid OpenAPI 3.1 document (checked by an independent
 * validator against the official 3.1 schema), the same routes as HttpApp's router, and schemas that accept what
 * the official openai SDK sends and what the server really answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Validator } from "@seriousme/openapi-schema-validator"
import Ajv2020 from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import OpenAI from "openai"
import type { ResponseCreateParamsNonStreaming } from "openai/resources/responses/responses"
import { apiRoutes, routerPath } from "../src/internal/http/apiRoutes.js"
import { type Harness, startHarness } from "./harness.js"

const key = "sk-openapi-test"
let h: Harness
let doc: any
beforeAll(async () => {
  h = await startHarness({ apiKey: key })
  const response = await fetch(`${h.url}/openapi.json`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status).toBe(200)
  doc = await response.json()
})
afterAll(() => h.close())

/** The routes HttpApp declares: every one goes through its `route(method, path, …)` (deny by default). */
const served = (): Array<string> => {
  const source = readFileSync(join(import.meta.dirname, "../src/HttpApp.ts"), "utf8")
  return [...source.matchAll(/route\(\s*"(GET|POST|DELETE|PUT|PATCH)",\s*"([^"]+)"/g)].map(([, m, p]) => `${m} ${p}`)
}

/** A JSON Schema validator over the document's components, for one schema of it. */
const validatorFor = (schema: unknown) => {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true })
  ajv.addSchema({ $id: "doc", components: doc.components })
  return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')))
}
const op = (method: string, path: string) => doc.paths[path][method]

describe("GET /openapi.json", () => {
  it("is behind the key (deny by default), like every route but /health", async () => {
    expect((await fetch(`${h.url}/openapi.json`)).status).toBe(401)
    expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }])
    expect(op("get", "/health").security).toEqual([])
    expect(op("get", "/openapi.json").security).toBeUndefined()
  })

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator()
    const result = await validator.validate(doc)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(validator.version).toBe("3.1")
  })

  it("documents exactly the routes HttpApp serves", async () => {
    const declared = served()
    expect(declared.length).toBeGreaterThanOrEqual(11)
    expect(new Set(declared)).toEqual(new Set(apiRoutes.map((r) => `${r.method} ${routerPath(r.path)}`)))
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`)
    )
    expect(new Set(documented)).toEqual(new Set(apiRoutes.map((r) => `${r.method} ${r.path}`)))
    // And each is really answered by a route (not the unknown-route 404).
    for (const route of apiRoutes) {
      const response = await fetch(`${h.url}${route.path.replace("{id}", "resp_missing")}`, {
        method: route.method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(route.method === "POST" ? { body: "{}" } : {})
      })
      const body = response.headers.get("content-type")?.includes("json") ? await response.json() : {}
      expect(body?.error?.code ?? null, `${route.method} ${route.path}`).not.toBe("unknown_route")
    }
  })

  it("its request schema accepts what the openai SDK sends, and refuses what the server refuses", () => {
    const validate = validatorFor(op("post", "/v1/responses").requestBody.content["application/json"].schema)
    const request: ResponseCreateParamsNonStreaming = {
      model: "m",
      instructions: "Be brief.",
      input: [
        {
          role: "user",
          content: [{ type: "input_text", text: "hi", prompt_cache_breakpoint: { mode: "explicit" } }]
        },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "1" },
        { type: "shell_call", call_id: "s1", action: { commands: ["ls"] } },
        { type: "configuration_update", reasoning: { effort: "max" } }
      ],
      tools: [{ type: "function", name: "f", parameters: { type: "object" }, strict: true }, { type: "web_search" }],
      reasoning: { effort: "high", summary: "auto", context: "all_turns" },
      text: { format: { type: "json_object" } }
    }
    expect(validate(request), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ model: "m", input: [{ type: "input_video" }] })).toBe(false)
    expect(validate({ model: "m", temperature: 3 })).toBe(false)
  })

  it("its Response schema accepts what the server answers to the SDK, usage.cache_write_tokens included", async () => {
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: key })
    const response = await client.responses.create({ model: "fake-model", input: "Say hi." })
    expect(response.usage?.input_tokens_details.cache_write_tokens).toBe(0)
    const validate = validatorFor(op("post", "/v1/responses").responses["200"].content["application/json"].schema)
    expect(validate(response), JSON.stringify(validate.errors)).toBe(true)
    const { usage: _, ...withoutUsage } = response
    expect(
      validate({ ...withoutUsage, usage: { ...response.usage, input_tokens_details: { cached_tokens: 0 } } })
    ).toBe(false)
    // The error body every failure carries.
    const error = validatorFor(op("get", "/v1/responses/{id}").responses["404"].content["application/json"].schema)
    const missing = await fetch(`${h.url}/v1/responses/resp_missing`, { headers: { authorization: `Bearer ${key}` } })
    expect(error(await missing.json())).toBe(true)
  })

  it("its model list schema accepts what /v1/models answers", async () => {
    const validate = validatorFor(op("get", "/v1/models").responses["200"].content["application/json"].schema)
    const body = await (await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true)
  })
})
