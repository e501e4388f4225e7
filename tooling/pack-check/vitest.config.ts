import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// Building, packing and `npm install` take minutes on a small CI machine, once, in beforeAll.
export default mergeConfig(shared, defineConfig({ test: { hookTimeout: 600_000, testTimeout: 120_000 } }))
