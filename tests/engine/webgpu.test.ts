import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../src/engine/backend'
import type { TrainStepEvent } from '../../src/engine/protocol'
import { createTask } from '../../src/engine/tasks'
import { runTraining } from '../../src/engine/trainer'
import { configuredVulkanDrivers, SWIFTSHADER_ICD, vulkanLoaderFound } from '../../src/engine/webgpuAdapter'
import { createBackend } from '../../src/main/backend'
import { trainOutcome } from '../../src/main/train/runner'
import { tempDir } from '../helpers/tmp'

// The webgpu backend trained through SwiftShader (Debian chromium's Vulkan driver, a CPU emulator
// of a GPU), against wasm from the same seed. SwiftShader runs a kernel in tens of milliseconds,
// so the model and the responses are tiny: context = prompt + 12 tokens. CI has chromium and the
// Vulkan loader (.ci/run), and there a missing piece fails the test instead of skipping it.

const why = !existsSync(SWIFTSHADER_ICD)
  ? `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (apt-get install chromium)`
  : !vulkanLoaderFound()
    ? 'no Vulkan loader libvulkan.so.1 (apt-get install libvulkan1)'
    : null
if (why && !process.env.CI) console.log(`webgpu tests skipped: ${why}`)
const run = why && !process.env.CI ? describe.skip : describe

const promptLength = createTask('route').promptLength
const config = (backend: string) => ({
  task: 'route', algo: 'entropy', betaEnt: 0.05, steps: 2, seed: 3, backend,
  // The entropy bonus gives a gradient even when every response fails, so the update is exercised.
  model: { layers: 1, dModel: 16, heads: 2, context: promptLength + 12, ffMult: 2 },
  warmup: { steps: 0 }, eval: { every: 0 },
  batchPrompts: 2, groupSize: 2, minibatchSize: 4, checkpointEvery: 0
})
const TIMING = /time|per_s/

async function train(backend: string): Promise<TrainStepEvent[]> {
  const steps: TrainStepEvent[] = []
  const r = await runTraining(config(backend), {
    onStep: (e) => {
      steps.push(e)
    },
    onError: (e) => {
      throw new Error(`${backend}: ${e.code}: ${e.message}`)
    }
  }, { runId: backend, workspace: null })
  expect(r.status).toBe('completed')
  return steps
}

const tmp = tempDir('hicra-webgpu-')
afterAll(() => tmp.cleanup())

run('webgpu through SwiftShader', () => {
  it('trains 2 steps with the metrics of wasm from the same seed (within 1e-3)', { timeout: 600_000 }, async () => {
    if (why) throw new Error(`CI must run the webgpu test: ${why}`)
    // Always SwiftShader here, whatever drivers this machine has: the test is about the emulator.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
    const wasm = await train('wasm')
    const gpu = await train('webgpu')
    const info = await selectBackend('webgpu')
    expect(info.adapter).toMatchObject({ architecture: 'swiftshader', software: true })
    expect(info.note).toMatch(/emulator/)
    expect(gpu.map((s) => s.step)).toEqual([1, 2])
    for (const i of [0, 1]) {
      const a = wasm[i].metrics
      const b = gpu[i].metrics
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort())
      for (const [k, v] of Object.entries(a)) {
        if (TIMING.test(k)) continue
        expect(Math.abs(b[k] - v), `step ${i + 1} ${k}: wasm ${v}, webgpu ${b[k]}`).toBeLessThanOrEqual(1e-3)
      }
      // Same sampled tokens, so the rollouts agree too.
      expect(gpu[i].rollouts.map((r) => r.response)).toEqual(wasm[i].rollouts.map((r) => r.response))
    }
    // The entropy bonus made a real update, not a zero gradient.
    expect(wasm[0].metrics.grad_norm).toBeGreaterThan(0)
  })

  it('trains through the back end in a worker thread, which sets up SwiftShader itself and records the adapter', { timeout: 600_000 }, async (ctx) => {
    delete process.env.VK_ICD_FILENAMES
    if (configuredVulkanDrivers().length > 0) {
      // A machine with its own Vulkan driver: the worker uses it, not SwiftShader (the test above
      // still trained on SwiftShader).
      console.log(`webgpu worker test skipped: Vulkan drivers are configured here (${configuredVulkanDrivers().join(', ')})`)
      ctx.skip()
    }
    const b = createBackend(join(tmp.dir, 'w.db'), { transport: 'cli' })
    try {
      const r = await b.invoke('train/start', { config: { ...config('webgpu'), steps: 1 } })
      if (!r.ok) throw new Error(r.error.message)
      const { runId } = r.value as { runId: number }
      const outcome = await trainOutcome(runId)!
      expect(outcome).toMatchObject({ status: 'completed', lastStep: 1, backend: 'webgpu' })
      const run = b.ctx.store.runs.detail(runId)!
      expect(run.backend).toBe('webgpu')
      const detail = (run.config as { backendDetail: { adapter: { architecture: string; software: boolean }; note: string } }).backendDetail
      expect(detail.adapter).toMatchObject({ architecture: 'swiftshader', software: true })
      expect(detail.note).toMatch(/SwiftShader/)
    } finally {
      b.close()
    }
  })
})
