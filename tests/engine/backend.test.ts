import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createBackend } from '../../src/main/backend'
import { liveRun, trainOutcome } from '../../src/main/train/runner'
import { tempDir } from '../helpers/tmp'

// The engine wired into the back end: train/start validates, a worker trains, every step lands in
// the store (metrics, rollouts with per-token arrays and truth labels) and as a train/step event.

const tmp = tempDir('hicra-train-')
afterAll(() => tmp.cleanup())

const config = {
  task: 'route', algo: 'hicra', steps: 2, seed: 5, backend: 'wasm',
  model: { layers: 1, dModel: 16, heads: 2, context: 72, ffMult: 2 },
  warmup: { steps: 2, batchSize: 4 }, eval: { every: 2, problems: 2, samples: 2, passK: 2 },
  batchPrompts: 2, groupSize: 2
}

describe('train/* handlers', () => {
  it('rejects unknown config keys with the field named', async () => {
    const b = createBackend(join(tmp.dir, 'bad.db'), { transport: 'cli' })
    try {
      const r = await b.invoke('train/start', { config: { ...config, stepz: 1 } })
      expect(r.ok).toBe(false)
      if (!r.ok) {
        expect(r.error.code).toBe('invalid_argument')
        expect(r.error.message).toMatch(/stepz/)
      }
    } finally {
      b.close()
    }
  })

  it('trains in a worker and stores metrics, rollouts and truth labels, with live events', async () => {
    const b = createBackend(join(tmp.dir, 'w.db'), { transport: 'cli' })
    try {
      const steps: number[] = []
      b.ctx.events.on('train/step', (e) => steps.push(e.step))
      const r = await b.invoke('train/start', { config, name: 'tiny' })
      expect(r.ok).toBe(true)
      if (!r.ok) return
      const { runId } = r.value as { runId: number }
      const outcome = await trainOutcome(runId)!
      expect(outcome).toMatchObject({ status: 'completed', lastStep: 2, backend: 'wasm' })
      expect(steps).toEqual([1, 2])
      const run = b.ctx.store.runs.detail(runId)!
      expect(run).toMatchObject({ kind: 'train', status: 'completed', backend: 'wasm', steps: 2, rollouts: 8 })
      for (const k of ['accuracy', 'planning_ratio', 'token_entropy_execution', 'loss', 'clip_fraction', 'test_pass_at_1']) {
        expect(run.metricKeys).toContain(k)
      }
      const page = b.ctx.store.rollouts.page({ runId, offset: 0, limit: 10 })
      expect(page.total).toBe(8)
      const failed = page.rows.filter((row) => row.correct === 0)
      for (const row of failed) expect(['planning', 'calculation', 'format']).toContain(row.error_type)
      const one = b.ctx.store.rollouts.get(page.rows[0].id)!
      expect(one.logprobs?.byteLength).toBe(4 * one.n_tokens!)
      expect(run.sgSetId).not.toBeNull()
    } finally {
      b.close()
    }
  })

  it('a killed worker leaves the run interrupted; train/resume continues it from its checkpoint', async () => {
    const b = createBackend(join(tmp.dir, 'k.db'), { transport: 'cli' })
    try {
      const cfg = { ...config, steps: 6, checkpointEvery: 1, eval: { every: 0 } }
      let killed = false
      b.ctx.events.on('train/step', (e) => {
        // Kill the worker as soon as step 2 is stored (its checkpoint may or may not be on disk yet).
        if (e.step === 2 && !killed) {
          killed = true
          void liveRun(e.runId)?.worker?.terminate()
        }
      })
      const r = await b.invoke('train/start', { config: cfg })
      if (!r.ok) throw new Error(r.error.message)
      const { runId } = r.value as { runId: number }
      await expect(trainOutcome(runId)!).rejects.toThrow(/exited/)
      expect(b.ctx.store.runs.get(runId)!.status).toBe('interrupted')
      const again = await b.invoke('train/resume', { runId })
      expect(again.ok && (again.value as { restarted: boolean }).restarted).toBe(true)
      const outcome = await trainOutcome(runId)!
      expect(outcome).toMatchObject({ status: 'completed', lastStep: 6 })
      const run = b.ctx.store.runs.get(runId)!
      // Every step exactly once: B×G = 4 rollouts a step.
      expect(run).toMatchObject({ status: 'completed', steps: 6, rollouts: 24 })
    } finally {
      b.close()
    }
  })
})
