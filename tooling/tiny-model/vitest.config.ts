import { defineConfig, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// Both test files load models and generate on the CPU: one after the other, they do not starve each other
// on a small (or shared) CI machine.
export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }))
