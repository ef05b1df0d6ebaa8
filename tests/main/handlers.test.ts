import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { channelNames } from '../../src/shared/contract'
import { testBackend } from '../helpers/backend'

const t = testBackend('h.db')
const { ok, fails } = t

describe('handlers', () => {
  it('app/info reports version, backend and database', async () => {
    const info = await ok<{ version: string; backend: string; backendDetail: { adapter: unknown; skipped: { name: string; reason: string }[] }; dbPath: string; schemaVersion: number }>('app/info', {})
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']).toContain(info.backend)
    // Why each better backend is skipped; the adapter only where webgpu is chosen.
    if (info.backend === 'wasm') expect(info.backendDetail.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow'])
    if (info.backend !== 'webgpu') expect(info.backendDetail.adapter).toBeNull()
    expect(info.dbPath).toBe(join(t.dir, 'h.db'))
    expect(info.schemaVersion).toBeGreaterThanOrEqual(2)
    expect((await fails('app/info', { extra: 1 })).code).toBe('invalid_argument')
  })

  it('runs: create, list, get, rename, update, delete, with typed errors naming the field', async () => {
    const run = await ok<{ id: number; name: string }>('runs/create', { name: 'grpo seed 1', tags: ['grpo'] })
    expect(run.name).toBe('grpo seed 1')
    const list = await ok<{ id: number }[]>('runs/list', {})
    expect(list.map((r) => r.id)).toContain(run.id)
    expect(await ok<unknown[]>('runs/list', { search: 'seed' })).toHaveLength(1)
    expect(await ok<unknown[]>('runs/list', { search: 'nothing like it' })).toHaveLength(0)
    expect(await ok<unknown[]>('runs/list', { tag: 'grpo' })).toHaveLength(1)
    expect(await ok<unknown[]>('runs/list', undefined)).toHaveLength(1)

    const detail = await ok<{ metricKeys: string[]; notes: string }>('runs/get', { id: run.id })
    expect(detail.metricKeys).toEqual([])

    const renamed = await ok<{ name: string }>('runs/rename', { id: run.id, name: '  hicra seed 1 ' })
    expect(renamed.name).toBe('hicra seed 1')
    const updated = await ok<{ tags: string[] }>('runs/update', { id: run.id, tags: ['hicra', 'hicra'] })
    expect(updated.tags).toEqual(['hicra'])

    const e1 = await fails('runs/rename', { id: run.id, name: '' })
    expect(e1).toMatchObject({ code: 'invalid_argument', field: 'name' })
    const e2 = await fails('runs/get', { id: 'seven' })
    expect(e2).toMatchObject({ code: 'invalid_argument', field: 'id' })
    const e3 = await fails('runs/get', { id: 999 })
    expect(e3).toMatchObject({ code: 'not_found', field: 'id' })
    const e4 = await fails('runs/delete', { id: -1 })
    expect(e4.field).toBe('id')
    const e5 = await fails('runs/list', { kind: 'dream' })
    expect(e5.field).toBe('kind')
    const e6 = await fails('runs/rename', { id: run.id, name: 'x', color: 'red' })
    expect(e6.code).toBe('invalid_argument')

    expect(await ok('runs/delete', { id: run.id })).toEqual({ deleted: true })
    expect((await fails('runs/delete', { id: run.id })).code).toBe('not_found')
  })

  it('refuses to delete a live run', async () => {
    const run = t.backend.ctx.store.runs.create({ name: 'live', kind: 'train', status: 'running' })
    expect((await fails('runs/delete', { id: run.id })).code).toBe('conflict')
    t.backend.ctx.store.runs.update(run.id, { status: 'stopped' })
    await ok('runs/delete', { id: run.id })
  })

  it('metrics: append and series, with validation', async () => {
    const run = await ok<{ id: number }>('runs/create', { name: 'm' })
    const points = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, key: 'accuracy', value: i / 50 }))
    expect(await ok('metrics/append', { runId: run.id, points })).toEqual({ written: 50 })
    const { series } = await ok<{ series: { total: number; step: number[]; last: number[] }[] }>('metrics/series',
      { runIds: [run.id], keys: ['accuracy', 'loss'], maxPoints: 10 })
    expect(series).toHaveLength(2)
    expect(series[0]!.total).toBe(50)
    expect(series[0]!.step.length).toBeLessThanOrEqual(10)
    expect(series[0]!.last.at(-1)).toBeCloseTo(49 / 50, 12)
    expect(series[1]!.total).toBe(0)
    expect(await ok<string[]>('runs/metricKeys', { id: run.id })).toEqual(['accuracy'])

    expect((await fails('metrics/series', { runIds: [], keys: ['a'] })).field).toBe('runIds')
    expect((await fails('metrics/series', { runIds: [run.id], keys: ['a b'] })).field).toBe('keys.0')
    expect((await fails('metrics/series', { runIds: [run.id], keys: ['a'], maxPoints: 1 })).field).toBe('maxPoints')
    expect((await fails('metrics/series', { runIds: [12345], keys: ['a'] })).code).toBe('not_found')
    expect((await fails('metrics/series', { runIds: [run.id], keys: ['a'], stepMin: 5, stepMax: 1 })).field).toBe('stepMin')
    expect((await fails('metrics/append', { runId: run.id, points: [{ step: -1, key: 'a', value: 1 }] })).field).toBe('points.0.step')
    expect((await fails('metrics/append', { runId: run.id, points: [{ step: 1, key: 'a', value: 'x' }] })).field).toBe('points.0.value')
  })

  it('jobs: list and cancel', async () => {
    const { jobId, done } = t.backend.ctx.jobs.run('test', { unit: 'items', total: 3 }, async (job) => {
      await new Promise<void>((resolve, reject) => {
        job.signal.addEventListener('abort', () => reject(new Error('aborted')))
        setTimeout(resolve, 10_000)
      })
    })
    const active = await ok<{ id: number; status: string }[]>('jobs/list', { active: true })
    expect(active.map((j) => j.id)).toContain(jobId)
    expect(await ok('jobs/cancel', { id: jobId })).toEqual({ cancelled: true })
    await expect(done).rejects.toThrow(/cancelled/)
    const all = await ok<{ id: number; status: string }[]>('jobs/list', {})
    expect(all.find((j) => j.id === jobId)?.status).toBe('cancelled')
    expect(await ok('jobs/cancel', { id: jobId })).toEqual({ cancelled: false })
    expect((await fails('jobs/cancel', { id: 0 })).field).toBe('id')
  })

  it('rejects unknown channels and keeps serving', async () => {
    expect((await fails('runs/explode', {})).code).toBe('unknown_channel')
    expect((await fails('__proto__', {})).code).toBe('unknown_channel')
    expect((await fails('constructor', {})).code).toBe('unknown_channel')
    expect(await ok<unknown[]>('runs/list', {})).toBeInstanceOf(Array)
  })

  it('every channel of the contract answers a garbage request with a typed error, never a crash', async () => {
    for (const channel of channelNames) {
      const r = await t.backend.invoke(channel, 'garbage')
      expect(r.ok, String(channel)).toBe(false)
      if (!r.ok) expect(r.error.code, String(channel)).toBe('invalid_argument')
    }
    expect((await ok<{ version: string }>('app/info', {})).version).toBeTruthy()
  })
})
