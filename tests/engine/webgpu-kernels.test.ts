import { beforeAll, describe, expect, it } from 'vitest'
import { runTraining } from '../../src/engine/trainer'
import { tf } from '../../src/engine/tf'
import { useWasm } from './helpers'

// Every kernel a training step runs (sampling with the KV cache, scoring, the PPO loss and its
// gradients, Adam, evaluation) exists in tfjs's webgpu backend: a missing one would fall back to
// nothing and fail on a GPU machine. Checked without a GPU: the package registers its kernels on
// import whether or not an adapter exists.

beforeAll(useWasm)

describe('webgpu kernels', () => {
  it('covers every kernel of a training step', { timeout: 120_000 }, async () => {
    const profile = await tf.profile(async () => {
      await runTraining({
        task: 'route', algo: 'entropy', steps: 1, seed: 2, backend: 'wasm',
        // Context long enough for the warm-up's teacher traces.
        model: { layers: 1, dModel: 8, heads: 2, context: 72, ffMult: 1 },
        warmup: { steps: 1, batchSize: 1 }, eval: { every: 1, problems: 1, samples: 1, passK: 1 },
        batchPrompts: 1, groupSize: 2, minibatchSize: 2, checkpointEvery: 0
      }, { onStep: () => undefined }, { runId: 'kernels', workspace: null })
    })
    // The profile also names gradient scopes (customGrad's 'forward', op scopes): keep real kernels.
    const used = [...new Set(profile.kernelNames)].filter((k) => tf.getKernel(k, 'wasm') || tf.getKernel(k, 'cpu')).sort()
    expect(used).toEqual(expect.arrayContaining(['BatchMatMul', 'OneHot', 'Softmax']))
    await import('@tensorflow/tfjs-backend-webgpu')
    const webgpu = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName))
    expect(used.filter((k) => !webgpu.has(k))).toEqual([])
  })
})
