import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openDatabase } from '../../src/main/store/open'
import { openStore, type Store } from '../../src/main/store'
import { BLOCK_STEPS, type SeriesQuery } from '../../src/main/store/metrics'
import type { MetricPoint } from '../../src/shared/api/metrics'
import { tempDir } from '../helpers/tmp'
import { rng } from '../helpers/rng'

// series() buckets wide ranges from metric_blocks (migration 5); seriesFromRows() is SQLite's GROUP BY
// over the rows, the answer series() gave before the blocks. They must agree to the last bit.

const tmp = tempDir()
afterAll(tmp.cleanup)
let n = 0
const dbFile = () => join(tmp.dir, `blocks${++n}.sqlite`)

/** Steps of one series: dense, with gaps, sparse checkpoints, negative starts, as chosen by `shape`. */
function stepsOf(shape: number, r: () => number): number[] {
  const out: number[] = []
  if (shape === 0) for (let s = 0; s < 3000; s++) out.push(s)
  else if (shape === 1) for (let s = -200 + Math.floor(r() * 50); out.length < 2500; s += 1 + Math.floor(r() * r() * 12)) out.push(s)
  else if (shape === 2) for (let s = 0; s <= 5000; s += 250) out.push(s)
  else if (shape === 3) for (let s = 0; s < 4000; s++) { if (r() < 0.3 || (s > 1000 && s < 1700)) continue; out.push(s) }
  else for (let s = 7; out.length < 1200; s += Math.floor(r() * 90)) if (out[out.length - 1] !== s) out.push(s)
  return out
}

/** Values with ties, spikes and signed zeros (SQLite stores -0 as 0: the blocks must read it back so too). */
function valueOf(r: () => number, i: number): number {
  const x = r()
  if (x < 0.05) return 0
  if (x < 0.08) return -0
  if (x < 0.12) return 1e6
  if (x < 0.2) return Math.round(r() * 4)
  return Math.sin(i / 37) + r() / 3
}

function fill(store: Store, seed: number): { runIds: number[]; keys: string[] } {
  const r = rng(seed)
  const keys = ['accuracy', 'loss', 'sparse', 'gappy', 'wide']
  const runIds: number[] = []
  for (let run = 0; run < 2; run++) {
    const id = store.runs.create({ name: `r${run}`, kind: 'import' }).id
    runIds.push(id)
    keys.forEach((key, shape) => {
      const steps = stepsOf(shape, r)
      // Written in uneven chunks, as an import or a training run would.
      for (let i = 0; i < steps.length;) {
        const len = 1 + Math.floor(r() * r() * 700)
        const points: MetricPoint[] = steps.slice(i, i + len).map((step) => ({ step, key, value: valueOf(r, step), wallTime: 1e12 + step * 997 + Math.floor(r() * 5) }))
        store.metrics.append(id, points)
        i += len
      }
    })
  }
  return { runIds, keys }
}

/** Random queries over the series: the whole range, random windows, bounds outside the data, any budget. */
function queries(runIds: number[], keys: string[], seed: number, count: number): SeriesQuery[] {
  const r = rng(seed)
  const out: SeriesQuery[] = []
  for (let i = 0; i < count; i++) {
    const q: SeriesQuery = { runId: runIds[Math.floor(r() * runIds.length)]!, key: keys[Math.floor(r() * keys.length)]!, maxPoints: 1 + Math.floor(r() * r() * 900) }
    const kind = r()
    if (kind < 0.7) {
      const a = -300 + r() * 5500, b = a + r() * 5000
      if (kind < 0.5) q.stepMin = a
      if (kind > 0.2) q.stepMax = b
    }
    if (r() < 0.2) q.tail = 1 + Math.floor(r() * 20)
    out.push(q)
  }
  return out
}

function expectSame(store: Store, qs: SeriesQuery[]): void {
  for (const q of qs) {
    const got = store.metrics.series(q)
    const want = store.metrics.seriesFromRows(q)
    if (JSON.stringify(got) !== JSON.stringify(want)) expect({ q, got }).toEqual({ q, got: want })
  }
}

/** Every block that is not marked stale holds exactly its rows, and every row is in its block. */
function expectBlocksFresh(store: Store): void {
  const db = store.db
  const stale = new Set((db.prepare('SELECT run_id, key, block FROM metric_blocks_stale').raw().all() as [number, string, number][]).map((x) => x.join('|')))
  const want = new Map<string, number[]>()
  for (const [run, key, step, value, wall] of db.prepare('SELECT run_id, key, step, value, wall_time FROM metrics ORDER BY run_id, key, step').raw().all() as [number, string, number, number, number][]) {
    const id = [run, key, Math.floor(step / BLOCK_STEPS)].join('|')
    if (!want.has(id)) want.set(id, [])
    want.get(id)!.push(step, value, wall)
  }
  const got = new Map<string, number[]>()
  for (const [run, key, block, data] of db.prepare('SELECT run_id, key, block, data FROM metric_blocks').raw().all() as [number, string, number, Buffer][]) {
    got.set([run, key, block].join('|'), Array.from(new Float64Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))))
  }
  for (const id of new Set([...want.keys(), ...got.keys()])) {
    if (stale.has(id)) continue
    expect({ id, block: got.get(id) }).toEqual({ id, block: want.get(id) })
  }
}

const staleCount = (store: Store) => store.db.prepare('SELECT count(*) FROM metric_blocks_stale').pluck().get() as number

describe('metric blocks', () => {
  it('bucket exactly as the GROUP BY over the rows, on dense, uneven, sparse and negative steps', () => {
    const store = openStore(dbFile())
    const { runIds, keys } = fill(store, 1)
    expect(staleCount(store)).toBe(0)
    expectBlocksFresh(store)
    expectSame(store, queries(runIds, keys, 2, 600))
    // The wide, dense ranges a chart asks for, at the budgets Compare and the run page use.
    for (const maxPoints of [100, 632, 1000, 1999]) expectSame(store, runIds.flatMap((runId) => keys.map((key) => ({ runId, key, maxPoints }))))
    store.close()
  })

  it('are what series() reads: a wrong block shows in its answer', () => {
    const store = openStore(dbFile())
    const run = store.runs.create({ name: 'r', kind: 'import' }).id
    store.metrics.append(run, Array.from({ length: 1000 }, (_, i) => ({ step: i, key: 'loss', value: i, wallTime: i })))
    const q = { runId: run, key: 'loss', maxPoints: 50 }
    const before = store.metrics.series(q)
    expect(before).toEqual(store.metrics.seriesFromRows(q))
    // A block whose max differs from its rows' (written behind the store's back, no trigger sees it).
    const bad = new Float64Array(3 * BLOCK_STEPS)
    for (let i = 0; i < BLOCK_STEPS; i++) bad.set([64 + i, i === 3 ? 1e9 : 64 + i, 64 + i], 3 * i)
    store.db.prepare('UPDATE metric_blocks SET data = ? WHERE run_id = ? AND key = ? AND block = 2').run(Buffer.from(bad.buffer), run, 'loss')
    expect(store.metrics.series(q).max).toContain(1e9)
    expect(store.metrics.seriesFromRows(q).max).not.toContain(1e9)
    store.close()
  })

  it('follow overwrites, deletes, updates and run deletion', () => {
    const store = openStore(dbFile())
    const { runIds, keys } = fill(store, 3)
    const r = rng(4)
    const qs = queries(runIds, keys, 5, 250)
    // Overwrites: the same steps again with other values, and new steps between old ones.
    for (const key of keys) {
      store.metrics.append(runIds[0]!, Array.from({ length: 400 }, () => {
        const step = Math.floor(r() * 5000)
        return { step, key, value: valueOf(r, step) * 3, wallTime: 2e12 + step }
      }))
    }
    expectBlocksFresh(store)
    expectSame(store, qs)

    // DELETEs outside the store, as a resumed run drops its later steps and a recompute its SPEC keys.
    store.db.prepare('DELETE FROM metrics WHERE run_id = ? AND step >= ?').run(runIds[1], 1500)
    store.db.prepare('DELETE FROM metrics WHERE run_id = ? AND key = ?').run(runIds[0], 'loss')
    store.db.prepare('DELETE FROM metrics WHERE run_id = ? AND key = ? AND step % 3 = 0').run(runIds[0], 'gappy')
    expect(staleCount(store)).toBeGreaterThan(0)
    expectBlocksFresh(store)
    // Stale blocks are read from the rows until they are rebuilt.
    expectSame(store, qs)
    store.metrics.repair(runIds[1]!)
    // An append to a run rebuilds its other stale blocks too.
    store.metrics.append(runIds[0]!, [{ step: 99_999, key: 'accuracy', value: 1 }])
    expect(staleCount(store)).toBe(0)
    expectBlocksFresh(store)
    expectSame(store, qs)
    expect(store.db.prepare('SELECT count(*) FROM metric_blocks WHERE run_id = ? AND key = ?').pluck().get(runIds[0], 'loss')).toBe(0)

    // An UPDATE (no writer does one; the trigger covers it): moved steps and changed values.
    store.db.prepare('UPDATE metrics SET value = value * 2 WHERE run_id = ? AND key = ? AND step % 5 = 1').run(runIds[0], 'accuracy')
    store.db.prepare('UPDATE metrics SET step = step + 5000 WHERE run_id = ? AND key = ? AND step BETWEEN 100 AND 140').run(runIds[0], 'wide')
    expectSame(store, qs)
    store.metrics.repair(runIds[0]!)
    expect(staleCount(store)).toBe(0)
    expectBlocksFresh(store)
    expectSame(store, qs)

    // Deleting a run takes its blocks with it and marks nothing.
    const blocksOf = (id: number) => store.db.prepare('SELECT count(*) FROM metric_blocks WHERE run_id = ?').pluck().get(id) as number
    expect(blocksOf(runIds[1]!)).toBeGreaterThan(0)
    store.runs.delete(runIds[1]!)
    expect(blocksOf(runIds[1]!)).toBe(0)
    expect(staleCount(store)).toBe(0)
    expectSame(store, qs.filter((q) => q.runId === runIds[0]))
    store.close()
  })

  it('are filled for a workspace written before migration 5, when it is first opened', () => {
    const path = dbFile()
    const v4 = openDatabase(path, { targetVersion: 4 })
    v4.prepare("INSERT INTO runs (name, kind, status, created_at, updated_at) VALUES ('old', 'import', 'imported', 1, 1)").run()
    const ins = v4.prepare("INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (1, ?, ?, ?, ?)")
    const r = rng(6)
    v4.transaction(() => {
      for (const key of ['a', 'b']) for (let s = 0; s < 3000; s += 1 + Math.floor(r() * 3)) ins.run(key, s, r(), 1e12 + s)
    })()
    v4.close()
    const store = openStore(path)
    expect(staleCount(store)).toBe(0)
    expect(store.db.prepare('SELECT count(*) FROM metric_blocks').pluck().get()).toBeGreaterThan(100)
    expectBlocksFresh(store)
    expectSame(store, queries([1], ['a', 'b'], 7, 200))
    store.close()
  })

  it('steps past 2^53 are answered from the rows, and their deletes leave no mark behind', () => {
    const store = openStore(dbFile())
    const run = store.runs.create({ name: 'r', kind: 'import' }).id
    const huge = [2 ** 53 + 2, 1e18, 1e300, -1e300]
    store.metrics.append(run, [...Array.from({ length: 3000 }, (_, i) => ({ step: i, key: 'loss', value: i % 13, wallTime: i })),
      ...huge.map((step, i) => ({ step, key: 'loss', value: 100 + i, wallTime: 5000 + i }))])
    const qs: SeriesQuery[] = [{ runId: run, key: 'loss', maxPoints: 100 }, { runId: run, key: 'loss', stepMin: 0, stepMax: 2999, maxPoints: 100 },
      { runId: run, key: 'loss', stepMin: 10, maxPoints: 50 }, { runId: run, key: 'loss', stepMax: 2500, maxPoints: 70 },
      { runId: run, key: 'loss', stepMin: -1e301, stepMax: 1e301, maxPoints: 100 }, { runId: run, key: 'loss', stepMin: 0, stepMax: 2e18, maxPoints: 100 }]
    expectSame(store, qs)
    expect(store.metrics.series(qs[4]!).max).toEqual(expect.arrayContaining([101, 102, 103]))
    store.db.prepare('DELETE FROM metrics WHERE run_id = ? AND abs(step) > 1e15').run(run)
    expect(staleCount(store)).toBeGreaterThan(0)
    store.metrics.append(run, [{ step: 3000, key: 'loss', value: 1 }])
    expect(staleCount(store)).toBe(0)
    expectSame(store, qs)
    store.close()
  })

  it('a read-only workspace with stale blocks answers from the rows', () => {
    const path = dbFile()
    const store = openStore(path)
    const run = store.runs.create({ name: 'r', kind: 'import' }).id
    store.metrics.append(run, Array.from({ length: 2000 }, (_, i) => ({ step: i, key: 'loss', value: i % 17, wallTime: i })))
    store.db.prepare('DELETE FROM metrics WHERE step BETWEEN 500 AND 900').run()
    const want = store.metrics.seriesFromRows({ runId: run, key: 'loss', maxPoints: 100 })
    store.close()
    const ro = openStore(path, { readonly: true })
    expect(staleCount(ro)).toBeGreaterThan(0)
    expect(ro.metrics.series({ runId: run, key: 'loss', maxPoints: 100 })).toEqual(want)
    ro.close()
  })
})
