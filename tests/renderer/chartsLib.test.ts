import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { debiasedEma } from '../../src/renderer/src/lib/ema'
import { parseCsv, pointsToCsv, CSV_HEADER } from '../../src/renderer/src/lib/csv'
import { fetchRawSeries, meanOfLast, type SeriesFetcher } from '../../src/renderer/src/lib/seriesQuery'
import { aggregateCurves, forLogAxis, mergeZoomed, stepWindow, toCurve, xExtent } from '../../src/renderer/src/lib/chartData'
import { finalAndBest, groupRuns } from '../../src/renderer/src/lib/compare'
import { stableJson } from '../../src/shared/stableJson'
import { metricDirection } from '../../src/shared/metricInfo'
import { otherKeys, RUN_PANELS } from '../../src/renderer/src/lib/runPanels'
import { createBackend, type Backend } from '../../src/main/backend'
import type { MetricSeries } from '../../src/shared/api/metrics'
import { tempDir } from '../helpers/tmp'

/** TensorBoard's smoothing, written out independently: the reference the helper must match. */
function tensorboardReference(ys: number[], w: number): number[] {
  let last = 0
  let n = 0
  const constant = ys.every((y) => y === ys[0])
  return ys.map((y) => {
    if (constant || !Number.isFinite(y)) return y
    last = last * w + (1 - w) * y
    n++
    return last / (1 - w ** n)
  })
}

describe('debiased EMA', () => {
  it('matches the formula: first point unbiased, then last / (1 − wⁿ)', () => {
    const ys = [1, 2, 3, 10, 4]
    const w = 0.6
    const got = debiasedEma(ys, w)
    expect(got[0]).toBeCloseTo(1, 12)
    const l2 = 0.6 * 0.4 * 1 + 0.4 * 2
    expect(got[1]).toBeCloseTo(l2 / (1 - 0.36), 12)
    expect(got).toEqual(tensorboardReference(ys, w))
  })
  it('is the identity at weight 0 and for a constant series', () => {
    expect(debiasedEma([3, 1, 2], 0)).toEqual([3, 1, 2])
    expect(debiasedEma([0.1, 0.1, 0.1], 0.9)).toEqual([0.1, 0.1, 0.1])
  })
  it('skips non-finite points: passed through, and not counted in n', () => {
    const got = debiasedEma([2, NaN, 4, Infinity], 0.5)
    expect(got[0]).toBe(2)
    expect(got[1]).toBeNaN()
    expect(got[3]).toBe(Infinity)
    const l1 = 0.5 * 2
    const l2 = 0.5 * l1 + 0.5 * 4
    expect(got[2]).toBeCloseTo(l2 / (1 - 0.25), 12)
  })
  it('stays within the range of the data and refuses a weight outside [0, 1)', () => {
    const ys = Array.from({ length: 200 }, (_, i) => Math.sin(i / 7) * 3 + (i % 5))
    for (const y of debiasedEma(ys, 0.95)) {
      expect(y).toBeGreaterThanOrEqual(Math.min(...ys) - 1e-9)
      expect(y).toBeLessThanOrEqual(Math.max(...ys) + 1e-9)
    }
    expect(() => debiasedEma(ys, 1)).toThrow(/\[0, 1\)/)
    expect(() => debiasedEma(ys, -0.1)).toThrow()
  })
})

describe('CSV', () => {
  it('round-trips names with commas and quotes and values exactly', () => {
    const pts = [
      { runId: 1, runName: 'hicra, "seed" 1', key: 'accuracy', step: 0, wallTime: 1_700_000_000_000, value: 0.1 + 0.2 },
      { runId: 1, runName: 'hicra, "seed" 1', key: 'accuracy', step: 5, wallTime: 1_700_000_000_500, value: -1e-17 }
    ]
    const rows = parseCsv(pointsToCsv(pts))
    expect(rows[0]).toEqual([...CSV_HEADER])
    expect(rows).toHaveLength(3)
    expect(rows[1]![1]).toBe('hicra, "seed" 1')
    expect(Number(rows[1]![6])).toBe(0.1 + 0.2)
    expect(Number(rows[2]![6])).toBe(-1e-17)
    expect(rows[2]![5]).toBe(new Date(1_700_000_000_500).toISOString())
  })
})

const tmp = tempDir()
let backend: Backend
const fetcher: SeriesFetcher = async (req) => {
  const r = await backend.invoke('metrics/series', req)
  if (!r.ok) throw new Error(r.error.message)
  return r.value as { series: MetricSeries[] }
}

describe('series glue against the real store', () => {
  let runId: number
  const values: number[] = []
  beforeAll(async () => {
    backend = createBackend(join(tmp.dir, 'lib.db'), { transport: 'cli' })
    const r = await backend.invoke('runs/create', { name: 'glue' })
    runId = (r as { ok: true; value: { id: number } }).value.id
    // 5,000 points on every third step, with spikes, so buckets and pages both matter.
    const points = []
    for (let i = 0; i < 5000; i++) {
      const v = Math.sin(i / 50) + (i % 997 === 0 ? 40 : 0)
      values.push(v)
      points.push({ step: i * 3, key: 'loss', value: v, wallTime: 1_700_000_000_000 + i * 1000 })
    }
    await backend.invoke('metrics/append', { runId, points })
  })
  afterAll(() => { backend.close(); tmp.cleanup() })

  it('pages the raw series back whole, in order, whatever the page size', async () => {
    for (const page of [100_000, 700, 64]) {
      const raw = await fetchRawSeries(fetcher, runId, 'loss', page)
      expect(raw.map((p) => p.value)).toEqual(values)
      expect(raw.map((p) => p.step)).toEqual(values.map((_, i) => i * 3))
      expect(raw[10]!.wallTime).toBe(1_700_000_010_000)
    }
    expect(await fetchRawSeries(fetcher, runId, 'absent')).toEqual([])
  })

  it('keeps the exact final and best, and the spikes in the band, when downsampled', async () => {
    const { series: [s] } = await fetcher({ runIds: [runId], keys: ['loss'], maxPoints: 200 })
    expect(s!.step.length).toBeLessThanOrEqual(200)
    const fb = finalAndBest(s!)
    expect(fb.final).toBe(values[values.length - 1])
    // The policy-gradient loss has no better direction, so no best; a lower-is-better key's best is its min.
    expect(fb.best).toBeNull()
    expect(finalAndBest({ ...s!, key: 'step_time_s' }).best).toBe(Math.min(...values))
    expect(finalAndBest({ ...s!, key: 'accuracy' }).best).toBe(Math.max(...values))
    const c = toCurve(s!, 'step', 0)
    expect(c.banded).toBe(true)
    expect(Math.max(...c.hi)).toBe(Math.max(...values))
  })

  it('means the last N points exactly, widening the window over sparse steps', async () => {
    const mean = await meanOfLast(fetcher, runId, 'loss', 10, 0, 4999 * 3)
    const want = values.slice(-10).reduce((a, b) => a + b, 0) / 10
    expect(mean).toBeCloseTo(want, 12)
    expect(await meanOfLast(fetcher, runId, 'loss', 1e4, 0, 4999 * 3)).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 10)
  })

  it('a zoomed window merges full resolution inside and coarse buckets outside', async () => {
    const { series: [coarse] } = await fetcher({ runIds: [runId], keys: ['loss'], maxPoints: 100 })
    const { series: [fine] } = await fetcher({ runIds: [runId], keys: ['loss'], stepMin: 3000, stepMax: 3300, maxPoints: 2000 })
    const m = mergeZoomed(coarse!, fine!, [3000, 3300])
    const steps = m.step
    expect([...steps].sort((a, b) => a - b)).toEqual(steps)
    expect(steps.filter((s) => s >= 3000 && s <= 3300)).toEqual(fine!.step)
    expect(steps[0]).toBe(coarse!.step[0])
    expect(steps[steps.length - 1]).toBe(coarse!.step[coarse!.step.length - 1])
    expect(xExtent([toCurve(m, 'step', 0)])).toEqual([coarse!.step[0], coarse!.step[coarse!.step.length - 1]])
  })
})

describe('curves', () => {
  const s = (steps: number[], ys: number[], wall0 = 0): MetricSeries =>
    ({ runId: 1, key: 'k', total: steps.length, step: steps, min: ys, max: ys, last: ys, wall: steps.map((x) => wall0 + x * 1000) })
  it('relative time counts seconds from the origin; wall time is the stored ms', () => {
    expect(toCurve(s([0, 1, 2], [1, 2, 3], 5000), 'relative', 5000).x).toEqual([0, 1, 2])
    expect(toCurve(s([0, 1, 2], [1, 2, 3], 5000), 'wall', 0).x).toEqual([5000, 6000, 7000])
  })
  it('a group is the mean over its runs per step, with their min and max', () => {
    const a = toCurve(s([0, 1, 2], [1, 2, 3]), 'step', 0)
    const b = toCurve(s([0, 1], [3, 6]), 'step', 0)
    const g = aggregateCurves([a, b])
    expect(g.step).toEqual([0, 1, 2])
    expect(g.y).toEqual([2, 4, 3])
    expect(g.lo).toEqual([1, 2, 3])
    expect(g.hi).toEqual([3, 6, 3])
    expect(g.banded).toBe(true)
  })
  it('maps an x window back to a step window, widened to the neighbours', () => {
    const c = toCurve(s([0, 10, 20, 30, 40], [0, 0, 0, 0, 0], 100), 'relative', 100)
    expect(stepWindow(c, 15, 25)).toEqual([10, 30])
    expect(stepWindow(c, -1, 100)).toBeNull()
  })
  it('log axes drop non-positive values and count them', () => {
    expect(forLogAxis([1, 0, -2, NaN, 3])).toEqual({ values: [1, null, null, null, 3], hidden: 2 })
  })
})

describe('compare helpers', () => {
  it('takes each metric\'s direction from the one registry', () => {
    expect(metricDirection('accuracy')).toBe('higher')
    expect(metricDirection('test_pass_at_8')).toBe('higher')
    expect(metricDirection('step_time_s')).toBe('lower')
    expect(metricDirection('error_planning')).toBe('lower')
    for (const k of ['semantic_entropy', 'token_entropy_planning', 'length', 'planning_ratio', 'relative_perplexity_planning', 'loss', 'some_imported_field']) {
      expect(metricDirection(k)).toBe('neither')
    }
  })
  it('groups seeds of one config, and runs by tag prefix', () => {
    const runs = [
      { id: 1, name: 'hicra s1', tags: ['grp:hicra', 'x'], config: { algo: 'hicra', seed: 1, model: { layers: 2 } } },
      { id: 2, name: 'hicra s2', tags: ['grp:hicra'], config: { model: { layers: 2 }, seed: 2, algo: 'hicra' } },
      { id: 3, name: 'grpo s1', tags: ['grp:grpo'], config: { algo: 'grpo', seed: 1, model: { layers: 2 } } },
      { id: 4, name: 'imported', tags: [], config: null }
    ]
    const byConfig = groupRuns(runs, { by: 'config' })
    expect(byConfig.map((g) => g.runIds)).toEqual([[1, 2], [3], [4]])
    expect(byConfig[0]!.label).toBe('hicra (2 runs)')
    expect(groupRuns(runs, { by: 'tag', prefix: 'grp:' }).map((g) => g.runIds)).toEqual([[1, 2], [3], [4]])
    expect(groupRuns(runs, { by: 'none' }).map((g) => g.runIds)).toEqual([[1], [2], [3], [4]])
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}')
  })
})

describe('run panels', () => {
  it('show the paper\'s Figure 2 metrics under SPEC §4 names and list the rest', () => {
    const keys = RUN_PANELS.flatMap((p) => p.lines.map((l) => l.key))
    for (const k of ['relative_perplexity_planning', 'relative_perplexity_execution', 'token_entropy_planning', 'token_entropy_execution',
      'token_entropy', 'semantic_entropy', 'conditional_entropy', 'accuracy', 'length', 'loss', 'clip_fraction', 'step_time_s']) {
      expect(keys).toContain(k)
    }
    expect(otherKeys(['accuracy', 'pass_at_k', 'planning_ratio'])).toEqual(['pass_at_k', 'planning_ratio'])
    expect(RUN_PANELS[0]!.missing({ kind: 'import' })).toMatch(/per-token log-probs/)
  })
})

describe('train form', () => {
  it('starts from the engine defaults and builds a config the engine accepts', async () => {
    const { defaultForm, formToConfig, validateTrainForm } = await import('../../src/renderer/src/lib/trainForm')
    const { parseTrainConfig } = await import('../../src/engine/config')
    const f = defaultForm()
    expect(f).toMatchObject({ algo: 'hicra', alpha: 0.2, modelSize: 'small' })
    const v = validateTrainForm({ ...f, modelSize: 'tiny', steps: 3, warmupSteps: 0, evalEvery: 0 })
    expect(v.errors).toEqual({})
    expect(v.config).toEqual(parseTrainConfig(formToConfig({ ...f, modelSize: 'tiny', steps: 3, warmupSteps: 0, evalEvery: 0 })))
    expect(v.config!.model).toMatchObject({ layers: 1, dModel: 64, heads: 4 })
  })
  it('takes the task\'s own defaults when the task changes, keeping what the user edited', async () => {
    const { defaultForm, validateTrainForm, withTask } = await import('../../src/renderer/src/lib/trainForm')
    const { parseTrainConfig } = await import('../../src/engine/config')
    const engine = parseTrainConfig({ task: 'strategy' })
    const f = withTask(defaultForm(), 'strategy')
    // The form sends model, batch and warm-up explicitly: they must be strategy's, not route's.
    const v = validateTrainForm(f)
    expect(v.errors).toEqual({})
    expect(v.config!.model).toEqual(engine.model)
    expect(v.config!.warmup).toEqual(engine.warmup)
    expect(v.config!.batchPrompts).toBe(engine.batchPrompts)
    const edited = withTask({ ...defaultForm(), warmupSteps: 7 }, 'strategy')
    expect(edited.warmupSteps).toBe(7)
    expect(edited.modelSize).toBe('compact')
    expect(withTask(f, 'route')).toMatchObject({ modelSize: 'small', warmupSteps: defaultForm('route').warmupSteps })
  })
  it('names the form field of each problem, as the engine would refuse it', async () => {
    const { defaultForm, validateTrainForm } = await import('../../src/renderer/src/lib/trainForm')
    const { parseTrainConfig } = await import('../../src/engine/config')
    const bad = { ...defaultForm(), alpha: 1.5, groupSize: 0, steps: 2.5, warmupSteps: -1, evalEvery: -3 }
    const v = validateTrainForm(bad)
    expect(v.config).toBeNull()
    expect(Object.keys(v.errors).sort()).toEqual(['alpha', 'evalEvery', 'groupSize', 'steps', 'warmupSteps'])
    expect(() => parseTrainConfig({ alpha: 1.5 })).toThrow(/alpha/)
  })
})
