import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { openStore } from '../../src/main/store'
import { openDatabase, PAGE_SIZE } from '../../src/main/store/open'
import { WalCheckpointer } from '../../src/main/store/walCheckpointer'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir('hicra-wal-')
afterAll(tmp.cleanup)

/** A workspace with a checkpoint thread and a table to fill: `write()` adds 1,000 rows of ~2 KB in one transaction. */
function bulkWorkspace(name: string, opts: Parameters<typeof WalCheckpointer.start>[1], fill: string) {
  const path = join(tmp.dir, name)
  const store = openStore(path)
  const db = store.db
  const cp = WalCheckpointer.start(db, opts)!
  db.exec('CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT)')
  const ins = db.prepare('INSERT INTO bulk (body) VALUES (?)')
  const body = fill.repeat(2000)
  const write = db.transaction(() => {
    for (let i = 0; i < 1000; i++) ins.run(body + i)
  })
  return { path, store, db, cp, body, write }
}

describe('page size of workspaces', () => {
  it('a new workspace gets 16 KB pages; an existing one keeps its own', () => {
    const fresh = join(tmp.dir, 'fresh.db')
    const db = openDatabase(fresh)
    expect(db.pragma('page_size', { simple: true })).toBe(PAGE_SIZE)
    db.close()
    // A workspace made with 4 KB pages (as before) opens, migrates and stays at 4 KB.
    const old = join(tmp.dir, 'old.db')
    const raw = new Database(old)
    raw.pragma('page_size = 4096')
    raw.exec('CREATE TABLE t (x)')
    raw.exec('DROP TABLE t')
    raw.close()
    const again = openDatabase(old)
    expect(again.pragma('page_size', { simple: true })).toBe(4096)
    expect(again.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'rollouts'").pluck().get()).toBe(1)
    again.close()
  })
})

describe('WAL checkpoints on their own thread', () => {
  it('copies the log into the database while the writer writes, and restores the writer\'s own checkpoint', async () => {
    const path = join(tmp.dir, 'bulk.db')
    const store = openStore(path)
    const db = store.db
    const before = db.pragma('wal_autocheckpoint', { simple: true })
    // A backstop far above what is written: only the thread can have copied pages into the file.
    const cp = WalCheckpointer.start(db, { everyBytes: 2 << 20, backstopBytes: 1 << 30 })
    expect(cp).not.toBeNull()
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(Math.round((1 << 30) / PAGE_SIZE))
    db.exec('CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT)')
    const ins = db.prepare('INSERT INTO bulk (body) VALUES (?)')
    const body = 'x'.repeat(2000)
    const sizeAfterSchema = statSync(path).size
    const write = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) ins.run(body + i)
    })
    for (let k = 0; k < 12; k++) {
      write(1000)
      cp!.wrote(1000 * body.length)
      // Let the thread run between transactions, as the reading threads' messages let it in an import.
      await new Promise((r) => setTimeout(r, 20))
    }
    await cp!.stop()
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(before)
    // About 24 MB written: most of it is in the database file, copied there by the thread.
    expect(statSync(path).size - sizeAfterSchema).toBeGreaterThan(8 << 20)
    expect(db.prepare('SELECT count(*) FROM bulk').pluck().get()).toBe(12000)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    store.close()
  })

  it('without reports of written bytes it checkpoints nothing (the writer\'s own checkpoint is the backstop)', async () => {
    const path = join(tmp.dir, 'quiet.db')
    const store = openStore(path)
    const db = store.db
    const cp = WalCheckpointer.start(db, { everyBytes: 2 << 20, backstopBytes: 1 << 30 })
    db.exec('CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT)')
    const size0 = statSync(path).size
    const ins = db.prepare('INSERT INTO bulk (body) VALUES (?)')
    db.transaction(() => {
      for (let i = 0; i < 4000; i++) ins.run('y'.repeat(2000))
    })()
    await new Promise((r) => setTimeout(r, 50))
    await cp!.stop()
    expect(statSync(path).size).toBe(size0)
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(8 << 20)
    store.close()
  })

  it('once completeBytes are written it holds the writer until a checkpoint completes, and the log starts over', async () => {
    const { path, store, db, cp, body, write } = bulkWorkspace('restart.db', { everyBytes: 1 << 20, backstopBytes: 1 << 30, completeBytes: 4 << 20 }, 'z')
    let holds = 0
    for (let k = 0; k < 12; k++) {
      // The writer goes on at once unless it is held (as an import's does): only a checkpoint it
      // waits for can complete, so without holds the log would keep all ~24 MB.
      if (cp.holding) holds++
      for (let t = 0; cp.holding && t < 1000; t++) await new Promise((r) => setTimeout(r, 5))
      expect(cp.holding).toBe(false)
      write()
      cp.wrote(1000 * body.length)
    }
    await cp.stop()
    expect(holds).toBeGreaterThan(1)
    expect(statSync(`${path}-wal`).size).toBeLessThan(12 << 20)
    expect(db.prepare('SELECT count(*) FROM bulk').pluck().get()).toBe(12000)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    store.close()
  })

  it('writes back the pages of a checkpoint that stops short of the log\'s end, and only those', async () => {
    const { path, store, db, cp, body, write } = bulkWorkspace('writeback.db', { everyBytes: 1 << 20, backstopBytes: 1 << 30, completeBytes: 1 << 30 }, 'w')
    const settle = async () => {
      for (let t = 0; t < 400 && (cp as unknown as { busy: boolean }).busy; t++) await new Promise((r) => setTimeout(r, 5))
    }
    // Nothing written meanwhile: each checkpoint reaches the end of the log, and SQLite syncs the file itself.
    for (let k = 0; k < 3; k++) {
      write()
      cp.wrote(1000 * body.length)
      await settle()
    }
    expect(cp.writtenBack).toBe(0)
    // A reader keeps an older snapshot (as rows written during a checkpoint do): the checkpoints
    // copy only up to it, which SQLite does not sync, so the thread writes those pages back.
    const reader = new Database(path, { readonly: true })
    reader.prepare('BEGIN').run()
    expect(reader.prepare('SELECT count(*) FROM bulk').pluck().get()).toBe(3000)
    for (let k = 0; k < 3; k++) {
      write()
      cp.wrote(1000 * body.length)
      await settle()
    }
    expect(cp.writtenBack).toBeGreaterThanOrEqual(2)
    reader.prepare('COMMIT').run()
    reader.close()
    await cp.stop()
    expect(db.prepare('SELECT count(*) FROM bulk').pluck().get()).toBe(6000)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    store.close()
  })

  it('none for an in-memory database', () => {
    const db = openDatabase(':memory:')
    expect(WalCheckpointer.start(db)).toBeNull()
    db.close()
  })
})
