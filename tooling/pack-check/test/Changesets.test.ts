/**
 * Every changeset names packages of this workspace with a known bump: `changeset version` refuses the whole set
 * for one unknown name, so a release would stop on it (three changesets once named a package `parlance` that
 * does not exist; the CLI is `@parlance/cli`).
 */
import { expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./packages.js"

const workspacePackages = (): Set<string> => {
  const names = new Set<string>()
  for (const group of ["apps", "packages", "tooling"])
    for (const dir of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue
      try {
        names.add(JSON.parse(readFileSync(join(repoRoot, group, dir.name, "package.json"), "utf8")).name)
      } catch {
        // A folder without a package.json is not a package.
      }
    }
  return names
}

it("every changeset names workspace packages with a patch, minor or major bump", () => {
  const packages = workspacePackages()
  expect(packages.has("@parlance/cli")).toBe(true)
  const dir = join(repoRoot, ".changeset")
  const files = readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "README.md")
  expect(files.length).toBeGreaterThan(0)
  const problems: Array<string> = []
  for (const file of files) {
    const text = readFileSync(join(dir, file), "utf8")
    const front = /^---\n([\s\S]*?)\n---\n/.exec(text)
    if (front === null) {
      problems.push(`${file}: no front matter`)
      continue
    }
    for (const line of front[1]!.split("\n").filter((l) => l.trim() !== "")) {
      const entry = /^"([^"]+)": (patch|minor|major)$/.exec(line.trim())
      if (entry === null) problems.push(`${file}: cannot read '${line}'`)
      else if (!packages.has(entry[1]!)) problems.push(`${file}: '${entry[1]}' is not a package of this workspace`)
    }
    if (text.slice(front[0].length).trim() === "") problems.push(`${file}: no description`)
  }
  expect(problems).toEqual([])
})
