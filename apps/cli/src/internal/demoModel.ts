/**
 * The offline demo model: the scripted tiny model (`@parlance/tiny-model`, pure TypeScript), generated on first
 * use into the user's cache directory, so nothing is read from the package's or the repository's layout.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { dirname, join } from "node:path"

/** `$PARLANCE_CACHE_DIR`, else `$XDG_CACHE_HOME/parlance`, else `~/.cache/parlance`. */
export const cacheDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PARLANCE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "parlance")

export const demoModelPath = (env: NodeJS.ProcessEnv = process.env): string => join(cacheDir(env), "demo-model.gguf")

/** Write the demo model when it is missing or differs from what this version generates; returns its path. */
export const ensureDemoModel = async (path: string = demoModelPath()): Promise<string> => {
  const { ScriptedModel } = await import("@parlance/tiny-model")
  const expected = ScriptedModel.encodeScriptedModel()
  const current = await readFile(path).catch(() => undefined)
  if (current !== undefined && Buffer.compare(current, expected) === 0) return path
  await mkdir(dirname(path), { recursive: true })
  // Write then rename: two servers starting at once never load a half-written file.
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, expected)
  await rename(tmp, path)
  return path
}
