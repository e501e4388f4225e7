/**
 * What a model needs in memory before it is loaded (node-llama-cpp's GGUF insights: the weights and a context
 * of `contextSize × sequences`), held against the RAM the host has free — so that a router asked for a model
 * that does not fit answers a clear 503 rather than letting the runner die mid-load.
 *
 * On the CPU everything is in RAM. Where a GPU backend will be tried, its layers leave RAM for VRAM, so the
 * RAM figure is the one with every layer offloaded: the least the model can need. Refusing on the all-in-RAM
 * figure would turn away, on a GPU host with less RAM than VRAM, a model that fits. How much VRAM is free is
 * known only once a backend is loaded; node-llama-cpp checks it in the runner itself (its "auto" GPU layers keep
 * what does not fit in RAM, and a model that fits nowhere is an `EngineLoadError` with reason `Memory`).
 */
import { freemem } from "node:os"
import { GgufInsights, getLlamaGpuTypes, readGgufFileInfo } from "node-llama-cpp"
import { candidates, type GpuRequest } from "../runner/gpu.js"

export interface MemoryEstimate {
  /** Bytes of RAM the model and its context need (beside what a GPU holds). */
  readonly required: number
  /** Bytes of RAM free on the host now. */
  readonly free: number
  /** Bytes a GPU would hold with every layer offloaded; 0 on the CPU. */
  readonly gpu: number
}

export const estimateMemory = async (options: {
  readonly model: string
  readonly contextSize?: number | undefined
  readonly parallel?: number | undefined
  /** As the engine is asked (`auto`: a GPU where node-llama-cpp supports one here); default the CPU. */
  readonly gpu?: GpuRequest | undefined
}): Promise<MemoryEstimate> => {
  const requested = options.gpu ?? false
  const offload =
    requested !== false &&
    candidates(requested, requested === "auto" ? await getLlamaGpuTypes("supported") : [])[0] !== false
  const info = await readGgufFileInfo(options.model, { logWarnings: false })
  const insights = await GgufInsights.from(info)
  const layers = offload ? insights.totalLayers : 0
  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers })
  const sequences = Math.max(1, options.parallel ?? 1)
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize: Math.min(options.contextSize ?? 8192, insights.trainContextSize ?? 8192) * sequences,
    modelGpuLayers: layers,
    sequences
  })
  return {
    required: weights.cpuRam + context.cpuRam,
    free: freemem(),
    gpu: offload ? weights.gpuVram + context.gpuVram : 0
  }
}
