/**
 * Where the other JavaScript runtimes plug in: each check gets the directory of a fresh project in which
 * `@parlance/translate` (and `@parlance/schema`) were installed from their tarballs by npm, and rejects on
 * failure. The pack test runs one test per entry.
 */
export interface RuntimeCheck {
  readonly name: string
  readonly run: (projectDir: string) => Promise<void>
}

export const otherRuntimeChecks: ReadonlyArray<RuntimeCheck> = []
