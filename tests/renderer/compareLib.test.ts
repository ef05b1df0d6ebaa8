import { describe, expect, it } from 'vitest'
import type { MetricSeries } from '../../src/shared/api/metrics'
import { groupBySection, metricInfo, PAPER_METRICS } from '../../src/shared/metricInfo'
import { aggregateCurves, t975, toCurve } from '../../src/renderer/src/lib/chartData'
import { configDiff, groupRuns, groupStat, isBetter, parseArms, tailMean } from '../../src/renderer/src/lib/compare'
import { createSeriesBatcher } from '../../src/renderer/src/lib/seriesBatch'
import type { SeriesRequest } from '../../src/renderer/src/lib/seriesQuery'

const series = (runId: number, key: string, ys: number[], extra: Partial<MetricSeries> = {}): MetricSeries =>
  ({ runId, key, total: ys.length, step: ys.map((_, i) => i), min: ys, max: ys, last: ys, wall: ys.map(() => 0), ...extra })

describe('metric registry', () => {
  it('labels, sections and units come from one place; unknown keys are Other with no direction', () => {
    expect(metricInfo('token_entropy_planning')).toMatchObject({ section: 'entropy', unit: 'nats', direction: 'neither' })
    expect(metricInfo('pass_at_4')).toMatchObject({ label: 'pass@4', section: 'outcome', direction: 'higher' })
    expect(metricInfo('test_error_format')).toMatchObject({ section: 'errors', direction: 'lower' })
    expect(metricInfo('my_field')).toEqual({ key: 'my_field', label: 'my_field', section: 'other', unit: '', direction: 'neither' })
    expect(PAPER_METRICS.map((k) => metricInfo(k).direction)).toEqual(['higher', 'neither', 'neither', 'neither', 'neither', 'neither', 'neither', 'neither'])
    const g = groupBySection(['zeta', 'loss', 'accuracy', 'token_entropy', 'token_entropy_planning', 'pass_at_1'])
    expect(g.map((s) => s.id)).toEqual(['outcome', 'entropy', 'training', 'other'])
    expect(g[0]!.keys).toEqual(['accuracy', 'pass_at_1'])
    expect(g[1]!.keys).toEqual(['token_entropy', 'token_entropy_planning'])
  })
  it('colours a difference only where the metric has a direction', () => {
    expect(isBetter('accuracy', 0.1)).toBe(true)
    expect(isBetter('accuracy', -0.1)).toBe(false)
    expect(isBetter('step_time_s', -1)).toBe(true)
    expect(isBetter('length', 50)).toBeNull()
    expect(isBetter('semantic_entropy', -1)).toBeNull()
    expect(isBetter('accuracy', 0)).toBeNull()
  })
})

describe('group rows and bands', () => {
  it('group rows are the mean ± the 95% Student-t half-width with n = runs', () => {
    // Three seeds 1, 2, 6: mean 3, sd √7, t(0.975, 2) = 4.302653, half = 4.302653·√7/√3.
    const st = groupStat([1, 2, 6, null])
    expect(st.n).toBe(3)
    expect(st.mean).toBe(3)
    expect(st.half).toBeCloseTo(4.302653 * Math.sqrt(7) / Math.sqrt(3), 5)
    expect(groupStat([5])).toEqual({ mean: 5, half: null, n: 1 })
    expect(groupStat([null])).toEqual({ mean: null, half: null, n: 0 })
    expect(t975(2)).toBeCloseTo(12.7062, 3)
    expect(t975(10)).toBeCloseTo(2.2622, 3)
  })
  it('the band is the members\' min–max, or the 95% interval of their mean', () => {
    const cs = [[1, 10], [2, 10], [6, 10]].map((ys, i) => toCurve(series(i, 'k', ys), 'step', 0))
    const mm = aggregateCurves(cs, 'minmax')
    expect(mm.lo).toEqual([1, 10])
    expect(mm.hi).toEqual([6, 10])
    const ci = aggregateCurves(cs, 'ci')
    const half = 4.302653 * Math.sqrt(7) / Math.sqrt(3)
    expect(ci.y).toEqual([3, 10])
    expect(ci.lo[0]).toBeCloseTo(3 - half, 5)
    expect(ci.hi[0]).toBeCloseTo(3 + half, 5)
    expect(ci.lo[1]).toBe(10)
    expect(ci.hi[1]).toBe(10)
    // A step only one member has: no interval, the band closes on the value.
    const one = aggregateCurves([toCurve(series(1, 'k', [1, 2, 3]), 'step', 0), toCurve(series(2, 'k', [3]), 'step', 0)], 'ci')
    expect([one.lo[2], one.hi[2]]).toEqual([3, 3])
  })
  it('the mean of the last N says how many points it used', () => {
    const s = series(1, 'accuracy', [1, 2, 3, 4, 5, 6], { tail: { step: [0, 1, 2, 3, 4, 5], value: [1, 2, 3, 4, 5, 6] } })
    expect(tailMean(s, 10)).toEqual({ mean: 3.5, used: 6 })
    expect(tailMean(s, 2)).toEqual({ mean: 5.5, used: 2 })
    // A tail cut at 3 of a longer series cannot answer N = 5.
    expect(tailMean(series(1, 'a', [1, 2, 3, 4, 5, 6], { tail: { step: [3, 4, 5], value: [4, 5, 6] } }), 5)).toBeNull()
    expect(tailMean(series(1, 'a', [1]), 5)).toBeNull()
  })
  it('arms from the URL group runs explicitly; malformed arms are ignored', () => {
    const arms = parseArms(JSON.stringify([{ label: 'hicra', runIds: [1, 3] }, { label: 'grpo', runIds: [2] }]))!
    const runs = [1, 2, 3, 4].map((id) => ({ id, name: `r${id}`, tags: [], config: null }))
    expect(groupRuns(runs, { by: 'arms', arms }).map((g) => [g.label, g.runIds])).toEqual([['hicra (2 runs)', [1, 3]], ['grpo', [2]], ['r4', [4]]])
    expect(parseArms('not json')).toBeNull()
    expect(parseArms(JSON.stringify([{ label: 'x', runIds: ['a'] }]))).toBeNull()
  })
  it('diffs two configs by dotted path', () => {
    expect(configDiff({ algo: 'hicra', lr: 1e-5, opt: { beta: [0.9, 0.99], eps: 1e-8 }, seed: 1 }, { algo: 'grpo', lr: 1e-5, opt: { beta: [0.9, 0.999] }, extra: true }))
      .toEqual([
        { path: 'algo', a: '"hicra"', b: '"grpo"' },
        { path: 'extra', a: null, b: 'true' },
        { path: 'opt.beta', a: '[0.9,0.99]', b: '[0.9,0.999]' },
        { path: 'opt.eps', a: '1e-8', b: null },
        { path: 'seed', a: '1', b: null }
      ])
    expect(configDiff(null, null)).toEqual([])
  })
})

describe('series batcher', () => {
  it('sends the queries of one turn as one call and answers each caller with its own result', async () => {
    const calls: SeriesRequest[][] = []
    const batch = createSeriesBatcher(async (req) => {
      calls.push(req.queries)
      return { results: req.queries.map((q) => ({ series: q.runIds.flatMap((r) => q.keys.map((k) => series(r, k, [r]))) })) }
    }, { queries: 3, series: 5 })
    const p = [batch({ runIds: [1, 2], keys: ['a'] }), batch({ runIds: [3], keys: ['b', 'c'] }), batch({ runIds: [4], keys: ['d'] })]
    const res = await Promise.all(p)
    expect(calls).toHaveLength(1)
    expect(res.map((r) => r.series.map((s) => `${s.runId}${s.key}`))).toEqual([['1a', '2a'], ['3b', '3c'], ['4d']])
    // Over the limits: cut into calls the contract accepts, in order.
    await Promise.all([batch({ runIds: [1, 2, 3], keys: ['a'] }), batch({ runIds: [1, 2, 3], keys: ['b'] }), batch({ runIds: [1], keys: ['c'] })])
    expect(calls.slice(1).map((c) => c.length)).toEqual([1, 2])
    expect(batch.calls).toBe(3)
  })
  it('a failed call rejects every query it carried', async () => {
    const batch = createSeriesBatcher(async () => { throw new Error('run 9 does not exist') })
    await expect(Promise.all([batch({ runIds: [9], keys: ['a'] }), batch({ runIds: [1], keys: ['a'] })])).rejects.toThrow('run 9')
  })
})
