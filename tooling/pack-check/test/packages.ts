/**
 * The publishable packages as a user gets them: built, packed by pnpm (which applies each `publishConfig`
 * and turns `workspace:` ranges into versions), then installed by plain npm into a fresh project, with no
 * workspace link and no repository file in reach.
 */
import { execFile } from "node:child_process"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"

export const repoRoot = join(import.meta.dirname, "../../..")

const exec = promisify(execFile)

/**
 * Runs a command to completion; on failure (or after `timeoutMs`, when it is killed) the error carries its
 * output, so an npm that cannot reach the registry fails the test with npm's words instead of hanging it.
 */
export const run = async (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  timeoutMs = 240_000
): Promise<string> => {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs })
    return stdout + stderr
  } catch (error: any) {
    const why = error.killed === true ? `killed after ${timeoutMs} ms` : `failed`
    throw new Error(`${command} ${args.join(" ")} ${why} in ${cwd}:\n${error.stdout ?? ""}${error.stderr ?? ""}`)
  }
}

/** Every workspace package that is not private, by name. */
export const publishable = (): ReadonlyArray<string> =>
  ["packages", "apps", "tooling"].flatMap((group) =>
    readdirSync(join(repoRoot, group)).flatMap((dir) => {
      // Not every folder is a package (tooling/gpu holds scripts).
      const file = join(repoRoot, group, dir, "package.json")
      if (!existsSync(file)) return []
      const manifest = JSON.parse(readFileSync(file, "utf8"))
      return manifest.private === true ? [] : [manifest.name as string]
    })
  )

/** `tsc -b` (a no-op when turbo's build ran), then `pnpm pack` of every publishable package into `dir`. */
export const buildAndPack = async (dir: string): Promise<Map<string, string>> => {
  await run("pnpm", ["exec", "tsc", "-b", "tsconfig.build.json"], repoRoot)
  const names = publishable()
  await run("pnpm", [...names.flatMap((n) => ["--filter", n]), "pack", "--pack-destination", dir], repoRoot)
  // `@parlance/cli` → parlance-cli-<version>.tgz
  const tarballs = new Map<string, string>()
  for (const name of names) {
    const prefix = `${name.replace(/^@/, "").replace("/", "-")}-`
    const file = readdirSync(dir).find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)))
    if (file === undefined) throw new Error(`no tarball for ${name} in ${dir}`)
    tarballs.set(name, join(dir, file))
  }
  return tarballs
}

/** A fresh ESM project in `dir` with `names` installed from their tarballs by npm (shared download cache). */
export const npmInstall = async (
  dir: string,
  tarballs: ReadonlyMap<string, string>,
  names: ReadonlyArray<string>,
  cache: string
): Promise<void> => {
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" })}\n`)
  const files = names.map((name) => {
    const file = tarballs.get(name)
    if (file === undefined) throw new Error(`${name} was not packed`)
    return file
  })
  await run("npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--cache", cache, ...files], dir)
}
