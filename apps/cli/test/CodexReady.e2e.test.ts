/**
 * Issue 13 with the real Codex CLI — the pinned release and the latest one — against `parlance serve` (spawned,
 * proxy mode in front of the fake upstream, `--record-dir`), configured as the README says: Codex reads
 * Parlance's model catalog, so its JSON output carries no warning or error event at all; a second turn with
 * `codex exec resume`; and a run whose history Codex compacts through Parlance (remote compaction V2:
 * `compaction_trigger` → one `compaction` item, sent back and continued from). Every stream the server sent
 * obeys the grammar. Skips only when a codex binary cannot run on this platform.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type FakeUpstream, startFakeUpstream } from "../../server/test/fakeUpstream.js"
import { ensureScriptedModel, ScriptedModel } from "@parlance/tiny-model"
import { runCli, tempDir } from "./cliHarness.js"
import { codexEvents, recordedStreams } from "./codexOutput.js"
import { serveParlance } from "./spawnServe.js"

const releases = [
  { name: "pinned", js: join(import.meta.dirname, "../node_modules/@openai/codex/bin/codex.js") },
  { name: "latest", js: join(import.meta.dirname, "../node_modules/@openai/codex-latest/bin/codex.js") }
].map((r) => {
  const probe = existsSync(r.js)
    ? spawnSync(process.execPath, [r.js, "--version"], { encoding: "utf8", timeout: 20_000 })
    : undefined
  const version = probe?.status === 0 ? probe.stdout.trim() : undefined
  if (version === undefined)
    console.warn(
      `SKIPPING Codex ${r.name}: ${probe === undefined ? `not installed (${r.js})` : (probe.stderr || String(probe.error)).trim()}`
    )
  return { ...r, version }
})

/** `parlance serve …` spawned (the shared helper), with its own data dir; `url` is its `/v1` base. */
const serve = async (backend: ReadonlyArray<string>) => {
  const served = await serveParlance(["--data-dir", tempDir("codex-ready-data"), ...backend], {
    startTimeoutMs: 60_000
  })
  return { url: served.baseUrl, recordDir: served.recordDir, stop: served.stop }
}

/**
 * A CODEX_HOME with the README's config. `compaction`: the provider is named "OpenAI", which is what makes
 * Codex compact remotely (through Parlance) instead of locally, with a low auto-compact limit.
 */
const codexHome = (
  baseUrl: string,
  options: {
    compaction?: boolean
    model?: string
    top?: ReadonlyArray<string>
    features?: ReadonlyArray<string>
    tail?: ReadonlyArray<string>
  } = {}
) => {
  const home = tempDir("codex-ready-home")
  mkdirSync(home, { recursive: true })
  writeFileSync(
    join(home, "config.toml"),
    [
      `model = "${options.model ?? "fake-model"}"`,
      `model_provider = "parlance"`,
      `check_for_update_on_startup = false`,
      ...(options.compaction ? ["model_auto_compact_token_limit = 2000"] : []),
      ...(options.top ?? []),
      "",
      "[model_providers.parlance]",
      `name = "${options.compaction ? "OpenAI" : "Parlance"}"`,
      `base_url = "${baseUrl}"`,
      `model_catalog_url = "${baseUrl}/models"`,
      `env_key = "PARLANCE_API_KEY"`,
      `wire_api = "responses"`,
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "",
      "[features]",
      "api_key_model_discovery = true",
      ...(options.features ?? []),
      ...(options.tail ?? []),
      ""
    ].join("\n")
  )
  return home
}

/**
 * A user home whose login shell finds `x` (the command the fake's scripted model runs) printing 30 kB: a
 * tool output large enough that Codex's history passes the auto-compact limit and shrinks after compaction.
 */
const loudHome = () => {
  const home = tempDir("codex-ready-user")
  const binDir = join(home, "bin")
  mkdirSync(binDir, { recursive: true })
  writeFileSync(join(binDir, "x"), "#!/bin/sh\nhead -c 30000 /dev/zero | tr '\\0' a\necho\n")
  chmodSync(join(binDir, "x"), 0o755)
  writeFileSync(join(home, ".bash_profile"), `export PATH="${binDir}:$PATH"\n`)
  writeFileSync(join(home, ".profile"), `export PATH="${binDir}:$PATH"\n`)
  return home
}

/** `codex exec …` with its own CODEX_HOME, in `work` (`resume --last` finds the last session of that folder); only loopback is reachable. Killed by process group (the bin is a Node wrapper). */
const runCodex = (
  codexJs: string,
  home: string,
  work: string,
  args: ReadonlyArray<string>,
  userHome?: string,
  timeoutMs = 90_000
) => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(OPENAI_|CODEX_)/.test(k)) env[k] = v
  Object.assign(env, {
    CODEX_HOME: home,
    PARLANCE_API_KEY: "unused",
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    NO_COLOR: "1",
    ...(userHome !== undefined ? { HOME: userHome } : {})
  })
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [codexJs, "exec", "--skip-git-repo-check", "--json", "--color", "never", "-s", "read-only", "-C", work, ...args],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true
      }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }, timeoutMs)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Anything Codex reports as a problem: error events, failed turns, and `error` items (its warnings, e.g. "Model metadata … not found"). */
const problems = (events: ReturnType<typeof codexEvents>) =>
  events.filter((e) => e.type === "error" || e.type === "turn.failed" || e.item?.type === "error")

let upstream: FakeUpstream
beforeAll(async () => {
  upstream = await startFakeUpstream()
})
afterAll(() => upstream.close())

for (const release of releases) {
  describe.skipIf(release.version === undefined)(
    `Codex ${release.name} (${release.version ?? "absent"}) against parlance serve`,
    () => {
      it("reads the catalog: a tool turn, then `exec resume`, with no warning or error event", {
        timeout: 240_000
      }, async () => {
        const served = await serve(["--upstream", upstream.url])
        const home = codexHome(served.url)
        let first: Awaited<ReturnType<typeof runCodex>>
        let second: Awaited<ReturnType<typeof runCodex>>
        try {
          const work = tempDir("codex-ready-work")
          first = await runCodex(release.js, home, work, ["Say hi."])
          second = await runCodex(release.js, home, work, ["resume", "--last", "Go on."])
        } finally {
          expect(await served.stop()).toBe(0)
        }
        for (const run of [first, second]) {
          const events = codexEvents(run.stdout)
          expect(problems(events), run.stdout + run.stderr).toEqual([])
          expect(events.map((e) => e.type)).toContain("turn.completed")
          expect(run.code, run.stderr).toBe(0)
        }
        const answers = codexEvents(second.stdout)
          .filter((e) => e.item?.type === "agent_message")
          .map((e) => e.item!.text)
        expect(answers.at(-1)).toMatch(/^tool said: /)
        const streams = recordedStreams(served.recordDir)
        expect(streams.length).toBeGreaterThanOrEqual(4)
        for (const s of streams) expect(s.violations, s.file).toEqual([])
        // The resumed turn carries the first one: Codex replays the whole conversation (store: false).
        const says = (r: any, text: string) =>
          r.input.some((i: any) => (i.type ?? "message") === "message" && JSON.stringify(i.content).includes(text))
        const last = streams
          .map((s) => s.request)
          .find(
            (r) =>
              says(r, "Go on.") && says(r, "Say hi.") && r.input.some((i: any) => i.type === "function_call_output")
          )
        expect(last, "a request with both turns").toBeDefined()
        expect(last).toMatchObject({ store: false, include: ["reasoning.encrypted_content"] })
      })

      it("compacts through Parlance (compaction_trigger → one compaction item) and continues, also after `exec resume`", {
        timeout: 240_000
      }, async () => {
        const served = await serve(["--upstream", upstream.url])
        const home = codexHome(served.url, { compaction: true })
        const user = loudHome()
        let first: Awaited<ReturnType<typeof runCodex>>
        let second: Awaited<ReturnType<typeof runCodex>>
        try {
          const work = tempDir("codex-ready-work")
          first = await runCodex(release.js, home, work, ["Say hi."], user)
          second = await runCodex(release.js, home, work, ["resume", "--last", "Go on."], user)
        } finally {
          expect(await served.stop()).toBe(0)
        }
        for (const run of [first, second]) {
          const events = codexEvents(run.stdout)
          expect(problems(events), run.stdout + run.stderr).toEqual([])
          expect(events.map((e) => e.type)).toContain("turn.completed")
          expect(run.code, run.stderr).toBe(0)
        }
        const streams = recordedStreams(served.recordDir)
        for (const s of streams) expect(s.violations, s.file).toEqual([])
        const compactions = streams.filter((s) => s.request.input.some((i: any) => i.type === "compaction_trigger"))
        expect(compactions.length, "compaction requests").toBeGreaterThanOrEqual(1)
        for (const c of compactions) {
          const done = c.events.filter((e: any) => e.type === "response.output_item.done")
          expect(done.map((e: any) => e.item.type)).toEqual(["compaction"])
          expect(c.events.at(-1).type).toBe("response.completed")
        }
        // Codex sends the compaction item back and the conversation goes on from it.
        const continued = streams.filter(
          (s) =>
            s.request.input.some((i: any) => i.type === "compaction" && i.encrypted_content.startsWith("pl1.")) &&
            !s.request.input.some((i: any) => i.type === "compaction_trigger")
        )
        expect(continued.length, "requests continuing from a compaction").toBeGreaterThanOrEqual(1)
        // Sealing is randomised, so the recording keeps its blobs: `parlance replay` still reproduces it exactly.
        const replayed = await runCli([
          "replay",
          join(served.recordDir, compactions[0]!.file.replace(/\.sse$/, ".json"))
        ])
        expect(replayed.stdout, replayed.stderr).toContain("reproduces the recorded events exactly")
      })
    }
  )
}

// The scripted engine model (tooling/tiny-model) with the latest Codex and the catalog: the catalog says the
// engine's real context (--ctx-size) and Codex runs the model's tool call with no warning. Codex's prompt is cut
// down as in Codex.e2e.test.ts (the scripted model evaluates a few hundred tokens/s on one thread).
const latest = releases.find((r) => r.name === "latest")!
describe.skipIf(latest.version === undefined)(
  "Codex latest on the embedded engine (scripted model) with the catalog",
  () => {
    it("the model calls Codex's shell tool, Codex runs it, the model answers; no warning or error event", {
      timeout: 300_000
    }, async () => {
      const served = await serve([
        "--model",
        await ensureScriptedModel(),
        "--model-name",
        "scripted",
        "--ctx-size",
        "32768",
        "--threads",
        "1"
      ])
      const instructions = join(tempDir("codex-ready-instructions"), "instructions.md")
      writeFileSync(instructions, "You are a coding agent. Run shell commands with exec_command.\n")
      const home = codexHome(served.url, {
        model: "scripted",
        top: [`model_instructions_file = "${instructions}"`, `web_search = "disabled"`],
        features: ["goals = false", "view_image = false"],
        tail: [
          "[agents]",
          "enabled = false",
          "[tools.experimental_request_user_input]",
          "enabled = false",
          "[skills]",
          "include_instructions = false"
        ]
      })
      let result: Awaited<ReturnType<typeof runCodex>>
      try {
        const catalog = await (await fetch(`${served.url}/models`)).json()
        expect(catalog.models).toEqual([
          expect.objectContaining({ slug: "scripted", context_window: 32768, input_modalities: ["text"] })
        ])
        result = await runCodex(latest.js, home, tempDir("codex-ready-work"), ["please run find"], undefined, 240_000)
      } finally {
        expect(await served.stop()).toBe(0)
      }
      const events = codexEvents(result.stdout)
      expect(problems(events), result.stdout + result.stderr).toEqual([])
      expect(result.code, result.stderr).toBe(0)
      const items = events
        .filter((e) => e.type === "item.completed")
        .map((e) => e.item as { type: string; text?: string; command?: string })
      expect(items.find((i) => i.type === "command_execution")?.command).toContain("find")
      expect(items.find((i) => i.type === "agent_message")?.text).toBe(ScriptedModel.TOOL_RESULT_TEXT)
      for (const s of recordedStreams(served.recordDir)) expect(s.violations, s.file).toEqual([])
    })
  }
)
