import { defineConfig } from "vitest/config"

// Shared by every package: tests run against the TypeScript sources, no build needed.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    passWithNoTests: true,
    hookTimeout: 120_000
  }
})
