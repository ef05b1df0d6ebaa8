import { describe, expect, it } from 'vitest'
import { testBackend } from '../helpers/backend'
import type { MetricSeries } from '../../src/shared/api/metrics'

// metrics/batch (many series in one call, with the raw tail for the Δ table) and metrics/last
// (the runs list's metric columns), against the real store.
const t = testBackend('batch.db')
const { ok, fails } = t

describe('metrics/batch and metrics/last', () => {
  it('answers each query as metrics/series does, in order, with the last N raw points when asked', async () => {
    const a = await ok<{ id: number }>('runs/create', { name: 'a' })
    const b = await ok<{ id: number }>('runs/create', { name: 'b' })
    const pts = (k: number) => Array.from({ length: 300 }, (_, s) => [
      { step: s, key: 'accuracy', value: k + s / 300 }, { step: s, key: 'loss', value: k - s }])
      .flat()
    await ok('metrics/append', { runId: a.id, points: pts(0) })
    await ok('metrics/append', { runId: b.id, points: pts(1).filter((p) => p.step < 6) })

    const { results } = await ok<{ results: { series: MetricSeries[] }[] }>('metrics/batch', { queries: [
      { runIds: [a.id, b.id], keys: ['accuracy', 'loss'], maxPoints: 50, tail: 10 },
      { runIds: [a.id], keys: ['loss'], stepMin: 100, stepMax: 120, maxPoints: 1000 },
      { runIds: [a.id], keys: ['accuracy'], maxPoints: 0, tail: 3 }
    ] })
    expect(results).toHaveLength(3)
    const single = (await ok<{ series: MetricSeries[] }>('metrics/series', { runIds: [a.id, b.id], keys: ['accuracy', 'loss'], maxPoints: 50 })).series
    expect(results[0]!.series.map(({ tail: _t, ...s }) => s)).toEqual(single)
    expect(results[0]!.series.map((s) => [s.runId, s.key])).toEqual([[a.id, 'accuracy'], [a.id, 'loss'], [b.id, 'accuracy'], [b.id, 'loss']])
    // The tail is raw and complete: ten points where there are 300, all six where there are six.
    expect(results[0]!.series[0]!.tail).toEqual({ step: Array.from({ length: 10 }, (_, i) => 290 + i), value: Array.from({ length: 10 }, (_, i) => (290 + i) / 300) })
    expect(results[0]!.series[2]!.tail!.step).toEqual([0, 1, 2, 3, 4, 5])
    expect(results[1]!.series[0]!.step).toEqual(Array.from({ length: 21 }, (_, i) => 100 + i))
    expect(results[2]!.series[0]).toMatchObject({ total: 300, step: [], tail: { step: [297, 298, 299] } })
    expect(results[1]!.series[0]!.tail).toBeUndefined()

    const last = await ok<{ values: { runId: number; key: string; step: number; value: number }[] }>('metrics/last', { runIds: [a.id, b.id], keys: ['loss', 'nope'] })
    expect(last.values).toEqual([{ runId: a.id, key: 'loss', step: 299, value: -299 }, { runId: b.id, key: 'loss', step: 5, value: -4 }])
  })

  it('refuses bad batches naming the query and field', async () => {
    const a = await ok<{ id: number }>('runs/create', { name: 'c' })
    expect((await fails('metrics/batch', { queries: [] })).field).toBe('queries')
    expect((await fails('metrics/batch', { queries: [{ runIds: [a.id], keys: ['x'] }, { runIds: [a.id], keys: ['x y'] }] })).field).toBe('queries.1.keys.0')
    expect((await fails('metrics/batch', { queries: [{ runIds: [a.id], keys: ['x'], stepMin: 5, stepMax: 1 }] })).field).toBe('queries.0.stepMin')
    expect(await fails('metrics/batch', { queries: [{ runIds: [a.id], keys: ['x'] }, { runIds: [a.id, 98765], keys: ['x'] }] })).toMatchObject({ code: 'not_found', field: 'queries.1.runIds.1' })
    const many = Array.from({ length: 64 }, (_, i) => `k${i}`)
    const ids = Array.from({ length: 64 }, () => a.id)
    const e = await fails('metrics/batch', { queries: [{ runIds: ids, keys: many }, { runIds: [a.id], keys: ['x'] }] })
    expect(e).toMatchObject({ code: 'invalid_argument', field: 'queries' })
    expect(e.message).toMatch(/4097 series/)
    expect((await fails('metrics/last', { runIds: [a.id], keys: [] })).field).toBe('keys')
  })
})
