import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { createBackend } from '../../src/main/backend'
import { importResult } from '../../src/main/import/importer'
import { ImportWorkers, readRowsParallel, type RowEvent } from '../../src/main/import/rowSource'
import { listSources } from '../../src/main/import/sources'
import { parseSgSetJson } from '../../src/core'
import { genVerlDump } from '../helpers/genVerl'
import { tempDir } from '../helpers/tmp'

// Import workers can be started before the files they will read are known (importer.ts starts them
// while the sources are listed): what they say before they are given work must not be lost, a
// failure before then must fail the import, and workers not needed must go.
const SG = join(resolve(__dirname, '..', 'fixtures', 'import'), 'sg.json')
const phrases = parseSgSetJson(readFileSync(SG, 'utf8')).grams.map((g) => g.phrase)
const tmp = tempDir('hicra-early-')
afterAll(() => tmp.cleanup())
const dump = join(tmp.dir, 'dump')
genVerlDump(dump, { steps: 4, perStep: 150, badLines: 1 })

/** What a reading gives, in an order that does not depend on which thread read which file. */
async function readAll(events: AsyncGenerator<RowEvent>) {
  const rows = new Map<number, number>()
  const ends: string[] = []
  let steps: unknown = null
  for await (const ev of events) {
    if (ev.type === 'rows') {
      rows.set(ev.file, (rows.get(ev.file) ?? 0) + ev.n)
      ev.release?.()
    } else if (ev.type === 'fileEnd') ends.push(`${ev.file}:${ev.hash}:${ev.lines}:${ev.rows}`)
    else steps = ev.steps
  }
  return { rows: [...rows].sort((a, b) => a[0] - b[0]), ends: ends.sort(), steps }
}

const exited = (ws: readonly Worker[]) => Promise.all(ws.map((w) => (w.threadId === -1 ? null : new Promise((r) => w.once('exit', r)))))

describe('import workers started early', () => {
  it('give the same reading as workers started for it, with their ready messages heard before it began', async () => {
    const { files } = await listSources([dump], undefined, {})
    const want = await readAll(readRowsParallel(files, phrases, {}, null, 2))
    const pool = new ImportWorkers(2, phrases, {}, null)
    // Long enough for both to boot and say they are ready before anyone listens.
    await new Promise((r) => setTimeout(r, 1500))
    const got = await readAll(readRowsParallel(files, phrases, {}, null, 2, undefined, pool))
    expect(got).toEqual(want)
    expect(got.rows.reduce((s, [, n]) => s + n, 0)).toBe(4 * 149)
    await exited(pool.workers)
  })

  it('a worker that fails before its work is known fails the reading with its error', async () => {
    const { files } = await listSources([dump], undefined, {})
    const pool = new ImportWorkers(2, phrases, {}, join(tmp.dir, 'no-such-tokenizer.json'))
    await new Promise((r) => setTimeout(r, 1500))
    await expect(readAll(readRowsParallel(files, phrases, {}, null, 2, undefined, pool))).rejects.toThrow(/no-such-tokenizer/)
    await exited(pool.workers)
    expect(pool.workers.every((w) => w.threadId === -1)).toBe(true)
  })

  it('through the importer: re-imported (workers started, none needed), cut to one file, and cancelled, the workspace is right', async () => {
    process.env.HICRA_IMPORT_THREADS = '2'
    const b = createBackend(join(tmp.dir, 'w.db'), { transport: 'cli' })
    try {
      const start = async (paths: string[]) => {
        const r = await b.invoke('import/start', { paths, sg: SG })
        if (!r.ok) throw new Error(r.error.message)
        return (r.value as { jobId: number }).jobId
      }
      const first = await importResult(await start([dump]))!
      expect(first.rollouts).toBe(4 * 149)
      // Every file imported already: the workers started for the paths are not needed.
      const again = await importResult(await start([dump]))!
      expect(again.alreadyImported).toBe(first.runId)
      // A folder of two files, one of them imported: one file left, read on this thread.
      const two = join(tmp.dir, 'two')
      mkdirSync(two)
      writeFileSync(join(two, '1.jsonl'), readFileSync(join(dump, '1.jsonl')))
      const other = join(tmp.dir, 'other')
      genVerlDump(other, { steps: 1, perStep: 120, seed: 3 })
      writeFileSync(join(two, '9.jsonl'), readFileSync(join(other, '1.jsonl')))
      const cut = await importResult(await start([two]))!
      expect(cut.files.map((f) => f.status).sort()).toEqual(['already imported', 'imported'])
      expect(cut.rollouts).toBe(120)
      // Cancelled as it starts: no run left behind.
      const runs = b.ctx.store.db.prepare('SELECT count(*) FROM runs').pluck().get()
      const third = join(tmp.dir, 'third')
      genVerlDump(third, { steps: 3, perStep: 100, seed: 7 })
      const jobId = await start([third])
      const done = importResult(jobId)!
      b.ctx.jobs.cancel(jobId)
      await expect(done).rejects.toThrow(/cancel/)
      expect(b.ctx.store.db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(runs)
    } finally {
      delete process.env.HICRA_IMPORT_THREADS
      b.close()
    }
  })
})
