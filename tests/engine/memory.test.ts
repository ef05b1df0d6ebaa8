import { beforeAll, describe, expect, it } from 'vitest'
import { runTraining } from '../../src/engine/trainer'
import { tf } from '../../src/engine/tf'
import { useWasm } from './helpers'

// Every tensor a step makes is disposed by the end of the step: over 100 steps the engine's tensor
// count and bytes stay where the first step left them (a leak of one tensor a step would show).
// A tiny model and 7-token responses (context 16) keep 100 steps to a few seconds on wasm.

beforeAll(useWasm)

describe('memory', () => {
  it('tf.memory() does not grow over 100 training steps (sampling, scoring, PPO, Adam, evaluation)', { timeout: 300_000 }, async () => {
    const counts: number[] = []
    const bytes: number[] = []
    const r = await runTraining({
      task: 'route', algo: 'hicra', steps: 100, seed: 4, backend: 'wasm',
      model: { layers: 1, dModel: 8, heads: 2, context: 16, ffMult: 1 },
      warmup: { steps: 0 }, eval: { every: 10, problems: 1, samples: 2, passK: 2 },
      batchPrompts: 1, groupSize: 2, minibatchSize: 2, checkpointEvery: 0
    }, {
      onStep: () => {
        const m = tf.memory()
        counts.push(m.numTensors)
        bytes.push(m.numBytes)
      },
      onError: (e) => {
        throw new Error(e.message)
      }
    }, { runId: 'memory', workspace: null })
    expect(r.status).toBe('completed')
    expect(counts).toHaveLength(100)
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[0]]))
    expect(new Set(bytes.slice(1))).toEqual(new Set([bytes[0]]))
  })
})
