import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { latestCheckpoint } from '../../src/engine/checkpoint'
import { TrainControl } from '../../src/engine/control'
import type { TrainErrorEvent, TrainStepEvent } from '../../src/engine/protocol'
import { runTraining } from '../../src/engine/trainer'
import { useWasm } from './helpers'

beforeAll(useWasm)

const dirs: string[] = []
function workspace(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'hicra-engine-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A tiny but complete configuration: every stage runs, in well under a second a step. */
const tiny = (extra: Record<string, unknown> = {}) => ({
  task: 'route',
  algo: 'hicra',
  steps: 3,
  seed: 11,
  backend: 'wasm',
  model: { layers: 1, dModel: 32, heads: 2, context: 72, ffMult: 2 },
  warmup: { steps: 4, batchSize: 8 },
  eval: { every: 2, problems: 2, samples: 2, passK: 2 },
  batchPrompts: 2,
  groupSize: 4,
  minibatchSize: 4,
  checkpointEvery: 0,
  ...extra
})

const TIMING = /time|per_s/

function collect(control?: TrainControl, stopAfter?: number) {
  const steps: TrainStepEvent[] = []
  const errors: TrainErrorEvent[] = []
  return {
    steps,
    errors,
    sink: {
      onStep: (e: TrainStepEvent) => {
        steps.push(e)
        if (stopAfter !== undefined && e.step === stopAfter) control?.stop()
      },
      onError: (e: TrainErrorEvent) => {
        errors.push(e)
      }
    }
  }
}

const untimed = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !TIMING.test(k)))

describe('runTraining', () => {
  it('reports every SPEC §4 metric, the update statistics and the rollouts of each step', async () => {
    const c = collect()
    const r = await runTraining(tiny(), c.sink, { runId: 'm', workspace: workspace() })
    expect(c.errors).toEqual([])
    expect(r).toMatchObject({ status: 'completed', lastStep: 3, backend: 'wasm' })
    expect(c.steps.map((s) => s.step)).toEqual([1, 2, 3])
    const m = c.steps[0].metrics
    const always = ['accuracy', 'length', 'planning_ratio', 'semantic_entropy', 'conditional_entropy', 'token_entropy',
      'token_entropy_execution', 'perplexity_execution', 'relative_perplexity_execution', 'high_entropy_planning_share',
      'pass_at_1', 'pass_at_2', 'loss', 'clip_fraction', 'grad_norm', 'step_time_s', 'tokens_per_s', 'error_planning']
    // A barely warmed-up policy may write no planning phrase at all; then the planning-class metrics are undefined.
    const planning = ['token_entropy_planning', 'perplexity_planning', 'relative_perplexity_planning', 'planning_high_entropy_share']
    for (const k of [...always, ...(m.planning_ratio > 0 ? planning : [])]) {
      expect(m[k], k).toBeTypeOf('number')
      expect(Number.isFinite(m[k]), k).toBe(true)
    }
    expect(m.relative_perplexity_execution).toBe(1)
    expect(c.steps[1].metrics.test_pass_at_1).toBeTypeOf('number')
    expect(c.steps[1].metrics.test_pass_at_2).toBeTypeOf('number')
    expect(c.steps[0].rollouts).toHaveLength(8)
    for (const ro of c.steps[0].rollouts) {
      const n = ro.tokenIds.length
      expect([ro.tokenStarts.length, ro.tokenEnds.length, ro.logprobs.length, ro.entropies.length, ro.planningMask.length]).toEqual([n, n, n, n, n])
      expect(ro.correct ? ro.errorType : ro.errorType !== null).toBeTruthy()
      for (const lp of ro.logprobs) expect(lp).toBeLessThanOrEqual(1e-6)
    }
  })

  it('is deterministic for the same seed, config and backend', async () => {
    const a = collect()
    const b = collect()
    await runTraining(tiny({ algo: 'grpo' }), a.sink, { runId: 'a', workspace: null })
    await runTraining(tiny({ algo: 'grpo' }), b.sink, { runId: 'b', workspace: null })
    expect(a.steps.map((s) => untimed(s.metrics))).toEqual(b.steps.map((s) => untimed(s.metrics)))
    expect(a.steps[2].rollouts.map((r) => r.response)).toEqual(b.steps[2].rollouts.map((r) => r.response))
  })

  it('stops on request, and a resumed run continues exactly where the uninterrupted one would be', async () => {
    const ws = workspace()
    const straight = collect()
    await runTraining(tiny({ steps: 4, algo: 'entropy' }), straight.sink, { runId: 's', workspace: ws })
    const control = new TrainControl()
    const first = collect(control, 2)
    const r1 = await runTraining(tiny({ steps: 4, algo: 'entropy' }), first.sink, { runId: 'p', workspace: ws, control })
    expect(r1).toMatchObject({ status: 'stopped', lastStep: 2 })
    expect(latestCheckpoint(path.join(ws, 'checkpoints', 'p'))).toMatch(/step-0000002$/)
    const second = collect()
    const r2 = await runTraining(tiny({ steps: 4, algo: 'entropy' }), second.sink, { runId: 'p', workspace: ws, resume: true })
    expect(r2).toMatchObject({ status: 'completed', lastStep: 4 })
    expect(second.steps.map((s) => s.step)).toEqual([3, 4])
    expect(second.steps.map((s) => untimed(s.metrics))).toEqual(straight.steps.slice(2).map((s) => untimed(s.metrics)))
  })

  it('pauses between steps and carries on when resumed', async () => {
    const control = new TrainControl()
    const times: number[] = []
    let resumedAt = 0
    const r = await runTraining(tiny({ steps: 2, eval: { every: 0 } }), {
      onStep: (e) => {
        times.push(Date.now())
        if (e.step === 1) {
          control.pause()
          setTimeout(() => {
            resumedAt = Date.now()
            control.resume()
          }, 300)
        }
      }
    }, { runId: 'pause', workspace: null, control })
    expect(r.status).toBe('completed')
    expect(times).toHaveLength(2)
    expect(resumedAt).toBeGreaterThan(0)
    expect(times[1]).toBeGreaterThanOrEqual(resumedAt)
  })

  it('stops with a clear error on a NaN loss, keeping the steps already reported', async () => {
    const ws = workspace()
    const ok = collect()
    await runTraining(tiny({ steps: 1 }), ok.sink, { runId: 'n', workspace: ws })
    // Corrupt the saved weights: the resumed run's loss is NaN at its first step.
    const dir = latestCheckpoint(path.join(ws, 'checkpoints', 'n'))!
    const file = path.join(dir, 'weights.bin')
    const buf = readFileSync(file)
    new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).fill(NaN, 0, 100)
    writeFileSync(file, buf)
    const bad = collect()
    const r = await runTraining(tiny({ steps: 3 }), bad.sink, { runId: 'n', workspace: ws, resume: true })
    expect(r.status).toBe('failed')
    expect(bad.errors).toHaveLength(1)
    expect(bad.errors[0]).toMatchObject({ code: 'diverged', lastStep: 1 })
    expect(bad.errors[0].message).toMatch(/loss became NaN at step 2/)
  })

  it('rejects an invalid config with a config error', async () => {
    const c = collect()
    const r = await runTraining({ ...tiny(), stepz: 3 }, c.sink, { runId: 'x', workspace: null })
    expect(r.status).toBe('failed')
    expect(c.errors[0]).toMatchObject({ code: 'config' })
    expect(c.errors[0].message).toMatch(/stepz/)
  })

  it.each([
    ['route', 'grpo'], ['route', 'highent'], ['countdown', 'hicra'], ['countdown', 'entropy']
  ])('trains %s with %s', async (task, algo) => {
    const c = collect()
    const r = await runTraining(tiny({ task, algo, steps: 1, eval: { every: 0 } }), c.sink, { runId: `${task}-${algo}`, workspace: null })
    expect(c.errors).toEqual([])
    expect(r.status).toBe('completed')
    expect(c.steps[0].metrics.updates).toBeGreaterThan(0)
  })
})
