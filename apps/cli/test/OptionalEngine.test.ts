/**
 * Only "@parlance/engine itself is not installed" becomes the install hint; a missing dependency of an
 * installed engine (or any other failure) is a real error. The tarball-level proof is tooling/pack-check.
 */
import { describe, expect, it } from "@effect/vitest"
import { engineInstallHint, isEngineMissing } from "../src/internal/optionalEngine.js"

const importFailure = async (specifier: string): Promise<unknown> =>
  import(specifier).then(
    () => undefined,
    (e) => e
  )

describe("the optional engine", () => {
  it("recognises Node's own error for a package that is not installed", async () => {
    const error = await importFailure("@parlance/engine-not-installed")
    expect((error as NodeJS.ErrnoException).code).toBe("ERR_MODULE_NOT_FOUND")
    const message = (error as Error).message.replace("@parlance/engine-not-installed", "@parlance/engine")
    expect(isEngineMissing(Object.assign(new Error(message), { code: "ERR_MODULE_NOT_FOUND" }))).toBe(true)
    expect(isEngineMissing(error)).toBe(false)
    expect(isEngineMissing(new Error("Cannot find package '@parlance/engine'"))).toBe(false)
  })

  it("names the install command in one line", () => {
    expect(engineInstallHint).not.toContain("\n")
    expect(engineInstallHint).toContain("npm install -g @parlance/engine")
  })
})
