import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase, APPLICATION_ID } from '../../src/main/store/open'
import { LATEST_SCHEMA_VERSION, migrations } from '../../src/main/store/migrations'
import { openStore, StoreError } from '../../src/main/store'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir()
afterAll(tmp.cleanup)
let n = 0
const dbFile = () => join(tmp.dir, `db${++n}.sqlite`)

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true })
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]
  db.close()
  return names
}

describe('store migrations', () => {
  it('creates a fresh database at the latest version, in WAL mode, with every table', () => {
    const path = dbFile()
    const db = openDatabase(path)
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    db.close()
    expect(tables(path)).toEqual(expect.arrayContaining([
      'runs', 'run_steps', 'metrics', 'rollouts', 'jobs', 'sg_sets', 'sg_set_versions', 'sg_grams',
      'sg_rejected', 'error_labels', 'import_files', 'settings'
    ]))
  })

  it('upgrades a version-1 database and keeps its data', () => {
    const path = dbFile()
    const v1 = openDatabase(path, { targetVersion: 1 })
    expect(v1.pragma('user_version', { simple: true })).toBe(1)
    v1.prepare("INSERT INTO runs (name, kind, status, created_at, updated_at) VALUES ('old run', 'import', 'imported', 1, 1)").run()
    v1.prepare("INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (1, 'accuracy', 3, 0.25, 1)").run()
    v1.close()
    expect(tables(path)).not.toContain('sg_sets')

    const store = openStore(path)
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION)
    expect(store.runs.get(1)?.name).toBe('old run')
    expect(store.metrics.series({ runId: 1, key: 'accuracy', maxPoints: 10 }).last).toEqual([0.25])
    expect(store.runs.get(1)?.sgSetId).toBeNull()
    store.close()
  })

  it('rolls a failing migration back whole, leaving the previous version', () => {
    const path = dbFile()
    openDatabase(path, { targetVersion: 1 }).close()
    const db = new Database(path)
    // Make migration 2 fail half-way: its table name is taken.
    db.exec('CREATE TABLE sg_rejected (x)')
    db.close()
    expect(() => openDatabase(path)).toThrow(/sg_rejected/)
    const check = new Database(path, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(1)
    expect(check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sg_sets'").pluck().get()).toBe(0)
    check.close()
  })

  it('refuses a database written by a newer version and leaves it untouched', () => {
    const path = dbFile()
    openDatabase(path).close()
    const raw = new Database(path)
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`)
    raw.pragma('journal_mode = DELETE')
    raw.close()
    const before = readFileSync(path)
    let error: unknown
    try {
      openDatabase(path)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).kind).toBe('newer_version')
    expect((error as Error).message).toMatch(/newer HICRA Workbench/)
    expect((error as Error).message).toContain(path)
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('reports a file that is not SQLite as corrupt and never overwrites it', () => {
    const path = dbFile()
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(100))
    const before = readFileSync(path)
    expect(() => openDatabase(path)).toThrow(StoreError)
    expect(() => openDatabase(path)).toThrow(/not an SQLite database.*left untouched/)
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('reports a damaged SQLite file as corrupt', () => {
    const path = dbFile()
    const db = openDatabase(path)
    db.pragma('journal_mode = DELETE')
    db.close()
    const bytes = readFileSync(path)
    bytes.fill(0xab, 100) // keep the header, wreck every page after it
    writeFileSync(path, bytes)
    const before = readFileSync(path)
    expect(() => openDatabase(path)).toThrow(StoreError)
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('refuses an SQLite database of another application', () => {
    const path = dbFile()
    const other = new Database(path)
    other.exec('CREATE TABLE contacts (name TEXT)')
    other.close()
    expect(() => openDatabase(path)).toThrow(/another application/)
  })

  it('numbers migrations 1..N without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
  })
})

describe('metrics downsampling', () => {
  it('returns raw points up to maxPoints and min/max/last buckets beyond', () => {
    const store = openStore(dbFile())
    const run = store.runs.create({ name: 'r', kind: 'import' })
    const points = Array.from({ length: 1000 }, (_, i) => ({ step: i, key: 'loss', value: i % 10 === 7 ? 1e6 : i, wallTime: 1000 + i }))
    store.metrics.append(run.id, points)
    const raw = store.metrics.series({ runId: run.id, key: 'loss', maxPoints: 5000 })
    expect(raw.total).toBe(1000)
    expect(raw.step.length).toBe(1000)
    const b = store.metrics.series({ runId: run.id, key: 'loss', maxPoints: 100 })
    expect(b.step.length).toBeLessThanOrEqual(100)
    expect(b.step.length).toBeGreaterThan(90)
    // Every bucket of 10 steps holds the spike of 1e6 at its 8th step: max keeps it.
    expect(b.max.every((v) => v === 1e6)).toBe(true)
    // The last point of a bucket is its highest step.
    expect(b.step[0]).toBe(9)
    expect(b.last[0]).toBe(9)
    expect(b.min[1]).toBe(10)
    const ranged = store.metrics.series({ runId: run.id, key: 'loss', stepMin: 500, stepMax: 509, maxPoints: 100 })
    expect(ranged.step).toEqual([500, 501, 502, 503, 504, 505, 506, 507, 508, 509])
    expect(store.runs.get(run.id)?.steps).toBe(1000)
    expect(store.runs.get(run.id)?.lastStep).toBe(999)
    store.close()
  })

  it("lists each run's metric keys, sorted, and only its own", () => {
    const store = openStore(dbFile())
    const a = store.runs.create({ name: 'a', kind: 'import' })
    const b = store.runs.create({ name: 'b', kind: 'import' })
    const c = store.runs.create({ name: 'c', kind: 'import' })
    store.metrics.append(a.id, ['zeta', 'alpha', 'mid'].flatMap((key) => [1, 2, 3].map((step) => ({ step, key, value: step }))))
    store.metrics.append(b.id, [{ step: 1, key: 'beta', value: 1 }])
    expect(store.runs.metricKeys(a.id)).toEqual(['alpha', 'mid', 'zeta'])
    expect(store.runs.metricKeys(b.id)).toEqual(['beta'])
    expect(store.runs.metricKeys(c.id)).toEqual([])
    expect(store.runs.detail(a.id)?.metricKeys).toEqual(['alpha', 'mid', 'zeta'])
    store.close()
  })

  it('deleting a run removes its metrics', () => {
    const store = openStore(dbFile())
    const run = store.runs.create({ name: 'r', kind: 'import' })
    store.metrics.append(run.id, [{ step: 1, key: 'a', value: 1 }])
    store.runs.delete(run.id)
    expect(store.db.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(0)
    store.close()
  })
})

describe('interrupted runs', () => {
  it('marks runs of dead writers interrupted and keeps live ones', () => {
    const store = openStore(dbFile())
    const dead = store.runs.create({ name: 'dead', kind: 'train', status: 'running' })
    const live = store.runs.create({ name: 'live', kind: 'train', status: 'running' })
    store.runs.claim(dead.id, 999_999_999)
    store.runs.claim(live.id, 4242)
    const marked = store.runs.markInterrupted((pid) => pid === 4242)
    expect(marked).toEqual([dead.id])
    expect(store.runs.get(dead.id)?.status).toBe('interrupted')
    expect(store.runs.get(live.id)?.status).toBe('running')
    store.close()
  })
})
