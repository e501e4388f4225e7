/**
 * What a model needs in memory before it is loaded (node-llama-cpp's GGUF insights: the weights and a context
 * of `contextSize × sequences`), held against what the host has free — so that a router asked for a model that
 * does not fit answers a clear 503 rather than letting the runner die mid-load. Counted as if entirely in RAM
 * (no GPU layers): the conservative figure, and the one that matters on a host without a GPU.
 */
import { freemem } from "node:os"
import { GgufInsights, readGgufFileInfo } from "node-llama-cpp"

export interface MemoryEstimate {
  /** Bytes the model and its context need. */
  readonly required: number
  /** Bytes free on the host now. */
  readonly free: number
}

export const estimateMemory = async (options: {
  readonly model: string
  readonly contextSize?: number | undefined
  readonly parallel?: number | undefined
}): Promise<MemoryEstimate> => {
  const info = await readGgufFileInfo(options.model, { logWarnings: false })
  const insights = await GgufInsights.from(info)
  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 })
  const sequences = Math.max(1, options.parallel ?? 1)
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize: Math.min(options.contextSize ?? 8192, insights.trainContextSize ?? 8192) * sequences,
    modelGpuLayers: 0,
    sequences
  })
  return { required: weights.cpuRam + context.cpuRam, free: freemem() }
}
