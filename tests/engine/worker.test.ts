import { describe, expect, it } from 'vitest'
import type { WorkerEvent } from '../../src/engine/protocol'
import { startTrainingWorker } from '../../src/engine/workerHost'

describe('training worker', () => {
  it('runs a training off the main thread and streams start, step and end messages', async () => {
    const events: WorkerEvent[] = []
    const config = {
      task: 'countdown', algo: 'grpo', steps: 2, seed: 3, backend: 'wasm',
      model: { layers: 1, dModel: 16, heads: 2, context: 80, ffMult: 2 },
      warmup: { steps: 2, batchSize: 4 }, eval: { every: 0 }, batchPrompts: 2, groupSize: 2
    }
    const w = startTrainingWorker({ type: 'start', config, runId: 'w1', workspace: null }, (e) => events.push(e))
    const code = await w.exited
    expect(code).toBe(0)
    const types = events.map((e) => e.type)
    expect(types[0]).toBe('start')
    expect(types.filter((t) => t === 'step')).toHaveLength(2)
    expect(types[types.length - 1]).toBe('end')
    const step = events.find((e) => e.type === 'step')
    if (step?.type !== 'step') throw new Error('no step')
    expect(step.event.rollouts[0].logprobs).toBeInstanceOf(Float32Array)
    const start = events[0]
    if (start.type !== 'start') throw new Error('no start')
    expect(start.info.backend).toBe('wasm')
  })

  it('takes a stop message between steps and ends the run as stopped', async () => {
    const events: WorkerEvent[] = []
    const config = {
      task: 'route', algo: 'grpo', steps: 50, seed: 4, backend: 'wasm',
      model: { layers: 1, dModel: 16, heads: 2, context: 72, ffMult: 2 },
      warmup: { steps: 1, batchSize: 4 }, eval: { every: 0 }, batchPrompts: 1, groupSize: 2
    }
    let sentStop = false
    const w = startTrainingWorker({ type: 'start', config, runId: 'w2', workspace: null }, (e) => {
      events.push(e)
      if (e.type === 'step' && !sentStop) {
        sentStop = true
        w.send({ type: 'stop' })
      }
    })
    expect(await w.exited).toBe(0)
    const end = events[events.length - 1]
    if (end.type !== 'end') throw new Error(`last event ${end.type}`)
    expect(end.event.status).toBe('stopped')
    expect(end.event.lastStep).toBeLessThan(5)
  })
})
