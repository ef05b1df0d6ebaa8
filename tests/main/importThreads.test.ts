import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createBackend } from '../../src/main/backend'
import { importResult } from '../../src/main/import/importer'
import { analyzeFiles } from '../../src/main/import/analyze'
import { analyzeParallel, workUnits } from '../../src/main/import/analyzeParallel'
import { compileMatcher, parseSgSetJson } from '../../src/core'
import { genVerlDump } from '../helpers/genVerl'
import { tempDir } from '../helpers/tmp'

const FIX = resolve(__dirname, '..', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const phrases = parseSgSetJson(readFileSync(SG, 'utf8')).grams.map((g) => g.phrase)
const tmp = tempDir('hicra-threads-')
afterAll(() => tmp.cleanup())

async function importWith(threads: number, db: string, paths: string[]) {
  process.env.HICRA_IMPORT_THREADS = String(threads)
  const b = createBackend(db, { transport: 'cli' })
  try {
    const r = await b.invoke('import/start', { paths, sg: SG })
    if (!r.ok) throw new Error(r.error.message)
    const s = await importResult((r.value as { jobId: number }).jobId)!
    const metrics = [...b.ctx.store.metrics.all(s.runId!)].map(({ step, key, value }) => ({ step, key, value }))
    // Every stored column with its storage class (rows from workers come packed, packedRollouts.ts).
    const rows = b.ctx.store.db.prepare(`SELECT step, response, has_sg, typeof(response) AS t, quote(prompt) AS prompt, quote(prompt_id) AS pid,
      quote(score) AS score, quote(correct) AS correct, quote(answer) AS answer, quote(gold) AS gold, quote(n_tokens) AS n,
      quote(token_starts) || quote(token_ends) || quote(logprobs) || quote(entropies) || quote(planning_mask) AS blobs, quote(extra) AS extra
      FROM rollouts ORDER BY step, id`).all()
    const labels = b.ctx.store.db.prepare(`SELECT r.step, r.response, l.source, l.error_type FROM error_labels l JOIN rollouts r ON r.id = l.rollout_id
      ORDER BY r.step, r.id`).all()
    const loneSurrogates = b.ctx.store.db.prepare(`SELECT count(*) FROM rollouts WHERE instr(hex(response), 'EDA080') > 0`).pluck().get() as number
    // The importer writes with the foreign keys off (16 rows an INSERT): on again after, and every key holds.
    const foreignKeys = { on: b.ctx.store.db.pragma('foreign_keys', { simple: true }), broken: (b.ctx.store.db.pragma('foreign_key_check') as unknown[]).length }
    return { s, metrics, rows, labels, loneSurrogates, foreignKeys }
  } finally {
    delete process.env.HICRA_IMPORT_THREADS
    b.close()
  }
}

describe('worker threads give the same import and analysis as one thread', () => {
  const dump = join(tmp.dir, 'dump')
  genVerlDump(dump, { steps: 5, perStep: 400, badLines: 1 })

  it('import on 3 worker threads stores the same rows and metrics as on one', async () => {
    const one = await importWith(1, join(tmp.dir, 'a.db'), [dump])
    const three = await importWith(3, join(tmp.dir, 'b.db'), [dump])
    expect(three.s.rollouts).toBe(one.s.rollouts)
    expect(three.s.skippedByKind).toEqual({ 'malformed JSON': 5 })
    expect(three.s.bad.map((b) => `${b.file}:${b.line}`).sort()).toEqual(one.s.bad.map((b) => `${b.file}:${b.line}`).sort())
    expect(three.rows).toEqual(one.rows)
    expect(three.metrics).toEqual(one.metrics)
    // has_sg is read from the core's scan scratch after each accumulator add: check it against
    // a separate match of every response
    const m = compileMatcher(phrases)
    for (const r of one.rows as { response: string; has_sg: number }[]) expect(r.has_sg).toBe(m.findOccurrences(r.response).length > 0 ? 1 : 0)
  })

  it('error types, kept fields and odd text through the threads (rows packed): the same rows and labels as one thread', async () => {
    const dir = join(tmp.dir, 'labels')
    mkdirSync(dir)
    for (const step of [1, 2]) {
      const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({
        step, prompt: `Problem ${i}: what is ${i} + ${step}?`, prompt_id: `p${i % 30}`, score: i % 3 === 0 ? 1 : 0, temperature: i % 2 ? 0.7 : 1,
        response: `Let’s see — ${i} + ${step} = ${i + step}.` + (i % 7 === 0 ? ' A lone \ud800 here, and a real \ufffd.' : '') + ' So the answer is it.',
        ...(i % 3 === 0 ? {} : { error_type: i % 2 ? 'arithmetic' : 'planning' })
      }))
      writeFileSync(join(dir, `${step}.jsonl`), lines.join('\n') + '\n')
    }
    const one = await importWith(1, join(tmp.dir, 'l1.db'), [dir])
    const two = await importWith(2, join(tmp.dir, 'l2.db'), [dir])
    expect(one.labels.length).toBe(400)
    expect(two.labels).toEqual(one.labels)
    expect(two.foreignKeys).toEqual({ on: 1, broken: 0 })
    expect(one.foreignKeys).toEqual({ on: 1, broken: 0 })
    expect(two.rows).toEqual(one.rows)
    expect((one.rows as { extra: string }[]).some((r) => r.extra.includes('temperature'))).toBe(true)
    // A lone surrogate is stored in its own three bytes (as better-sqlite3 writes a string), on both.
    expect(two.loneSurrogates).toBe(one.loneSurrogates)
    expect(one.loneSurrogates).toBe(2 * 43)
  })

  it('a step spread over two files: metrics from the stored rows, equal to one thread', async () => {
    const dir = join(tmp.dir, 'spread')
    mkdirSync(dir)
    const lines = readFileSync(join(dump, '1.jsonl'), 'utf8').trim().split('\n')
    writeFileSync(join(dir, 'a.jsonl'), lines.slice(0, 200).join('\n') + '\n')
    writeFileSync(join(dir, 'b.jsonl'), lines.slice(200).join('\n') + '\n')
    writeFileSync(join(dir, 'c.jsonl'), readFileSync(join(dump, '2.jsonl'), 'utf8'))
    const one = await importWith(1, join(tmp.dir, 'c.db'), [dir])
    const two = await importWith(2, join(tmp.dir, 'd.db'), [dir])
    expect(two.s.steps).toBe(2)
    expect(two.metrics).toEqual(one.metrics)
    const a1 = await analyzeFiles({ paths: [dir], phrases, threads: 1 })
    const a2 = await analyzeFiles({ paths: [dir], phrases, threads: 2 })
    expect(a2.steps).toEqual(a1.steps)
    expect(a1.steps[0]!.accuracy).toBe(one.metrics.find((m) => m.key === 'accuracy' && m.step === 1)!.value)
  })

  it('verl files with token entropies and logprobs: each whole file\'s metrics, made on its worker, equal one thread to the bit', async () => {
    const dir = join(tmp.dir, 'tokens')
    mkdirSync(dir)
    let x = 7
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const words = ['let', 'us', 'try', 'a', 'different', 'approach', 'but', 'the', 'problem', 'mentions', 'that', 'so', '12', '+', '7', '=', '19']
    for (const step of [1, 2, 3, 4]) {
      const lines = Array.from({ length: 150 }, (_, i) => {
        const tokens = Array.from({ length: 20 + (i % 30) }, (_, k) => (k === 0 ? '' : ' ') + words[Math.floor(rnd() * words.length)]!)
        return JSON.stringify({ step, prompt: `Problem ${i % 25}`, response: tokens.join(''), score: rnd() < 0.4 ? 1 : 0, tokens,
          entropies: tokens.map(() => rnd() * 3), logprobs: tokens.map(() => -rnd() * 4) })
      })
      writeFileSync(join(dir, `${step}.jsonl`), lines.join('\n') + '\n')
    }
    const a1 = await analyzeFiles({ paths: [dir], phrases, threads: 1 })
    const a2 = await analyzeFiles({ paths: [dir], phrases, threads: 2 })
    expect(a1.format).toBe('verl')
    expect(a1.tokenRollouts).toBe(600)
    expect(a1.steps[0]!.token_entropy).toBeGreaterThan(0)
    expect(a1.steps.some((s) => (s.token_entropy_planning ?? 0) > 0)).toBe(true)
    expect(a2.steps).toEqual(a1.steps)
    // The same files cut into ranges (counts merged on this thread) give the same steps up to rounding.
    const a3 = await analyzeFiles({ paths: [dir], phrases, threads: 2, unitBytes: 20_000 })
    for (let i = 0; i < a1.steps.length; i++) {
      for (const [k, v] of Object.entries(a1.steps[i]!)) expect(a3.steps[i]![k as keyof (typeof a3.steps)[number]]).toBeCloseTo(v as number, 12)
    }
  })

  it('analyze on worker threads equals one thread', async () => {
    const heard: number[] = []
    const a1 = await analyzeFiles({ paths: [dump], phrases, threads: 1, onWorkers: (n) => heard.push(n) })
    expect(heard).toEqual([])
    const a3 = await analyzeFiles({ paths: [dump], phrases, threads: 3, onWorkers: (n) => heard.push(n) })
    // Told once, before the workers start, how many there are.
    expect(heard).toEqual([3])
    expect(a3.steps).toEqual(a1.steps)
    expect(a3.rollouts).toBe(a1.rollouts)
    expect(a3.bad.total).toBe(5)
  })

  it('one big file cut into line-aligned ranges on 2 threads equals one thread, bad lines at their true line numbers', async () => {
    const dir = join(tmp.dir, 'single')
    mkdirSync(dir)
    // All five steps in one file, its malformed lines and a blank line included.
    const text = [1, 2, 3, 4, 5].map((s) => readFileSync(join(dump, `${s}.jsonl`), 'utf8').trimEnd()).join('\n\n') + '\n'
    const file = join(dir, 'all.jsonl')
    writeFileSync(file, text)
    const units = await workUnits([{ path: file, size: statSync(file).size, stepHint: null }], 20_000)
    expect(units.length).toBeGreaterThan(10)
    const a1 = await analyzeFiles({ paths: [file], phrases, threads: 1 })
    const a2 = await analyzeFiles({ paths: [file], phrases, threads: 2, unitBytes: 20_000 })
    expect(a2.rollouts).toBe(a1.rollouts)
    expect(a2.bad.first.map((b) => `${b.file}:${b.line}:${b.kind}`)).toEqual(a1.bad.first.map((b) => `${b.file}:${b.line}:${b.kind}`))
    expect(a2.bad.total).toBe(5)
    const lines = text.split('\n')
    for (const b of a2.bad.first) expect(() => JSON.parse(lines[b.line - 1]!)).toThrow()
    expect(a2.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5])
    // Progress (the workers' shared slots, summed on a timer) never goes back and ends at every byte.
    const seen: number[] = []
    const a3 = await analyzeFiles({ paths: [file], phrases, threads: 2, unitBytes: 20_000, onProgress: (done, total) => seen.push(done / total) })
    expect(a3.steps).toEqual(a2.steps)
    expect(seen.length).toBeGreaterThan(0)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!)
    expect(seen.at(-1)).toBe(1)
    for (let i = 0; i < a1.steps.length; i++) {
      for (const [k, v] of Object.entries(a1.steps[i]!)) expect(a2.steps[i]![k as keyof (typeof a2.steps)[number]]).toBeCloseTo(v as number, 12)
    }
  })

  it('a verl step that comes back in a later file: the threads give way to one reading, same numbers', async () => {
    const dir = join(tmp.dir, 'verl-back')
    mkdirSync(dir)
    const one = readFileSync(join(dump, '1.jsonl'), 'utf8').trim().split('\n')
    writeFileSync(join(dir, '1.jsonl'), one.slice(0, 300).join('\n') + '\n')
    // 2.jsonl holds step 2 and, after it, the rest of step 1 (lines keep their "step": 1).
    writeFileSync(join(dir, '2.jsonl'), readFileSync(join(dump, '2.jsonl'), 'utf8').trimEnd() + '\n' + one.slice(300).join('\n') + '\n')
    const files = [1, 2].map((k) => ({ path: join(dir, `${k}.jsonl`), size: statSync(join(dir, `${k}.jsonl`)).size, stepHint: k }))
    expect(await analyzeParallel(await workUnits(files), phrases, {}, null, 2, undefined, undefined, true)).toBeNull()
    const a1 = await analyzeFiles({ paths: [dir], phrases, threads: 1 })
    const a2 = await analyzeFiles({ paths: [dir], phrases, threads: 2 })
    expect(a2.format).toBe('verl')
    expect(a2.steps).toEqual(a1.steps)
    expect(a2.steps[0]!.rollouts).toBe(one.filter((l) => l.startsWith('{') && (() => { try { JSON.parse(l); return true } catch { return false } })()).length)
  })
})

describe('a run deleted while its rows are being written', () => {
  it('stops the import with an error naming the run, and leaves no row without its run', async () => {
    const dump = join(tmp.dir, 'deleted')
    genVerlDump(dump, { steps: 20, perStep: 400 })
    process.env.HICRA_IMPORT_THREADS = '2'
    const b = createBackend(join(tmp.dir, 'deleted.db'), { transport: 'cli' })
    try {
      // The API refuses to delete a run that is importing; SQL does not. Deleted after the first
      // commit with rows (the progress event comes inside that write transaction, so the deletion
      // waits for it to end).
      let deletedRun: number | null = null
      b.ctx.events.on('jobs/progress', (e) => {
        if (deletedRun !== null || e.runId == null || e.done === 0 || e.status !== 'running') return
        deletedRun = e.runId
        setImmediate(() => b.ctx.store.db.prepare('DELETE FROM runs WHERE id = ?').run(deletedRun))
      })
      const r = await b.invoke('import/start', { paths: [dump], sg: SG })
      if (!r.ok) throw new Error(r.error.message)
      await expect(importResult((r.value as { jobId: number }).jobId)!).rejects.toThrow(/was deleted during its import/)
      expect(deletedRun).not.toBeNull()
      const db = b.ctx.store.db
      expect(db.prepare('SELECT count(*) FROM rollouts WHERE run_id = ?').pluck().get(deletedRun)).toBe(0)
      expect(db.pragma('foreign_key_check')).toEqual([])
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    } finally {
      delete process.env.HICRA_IMPORT_THREADS
      b.close()
    }
  })
})
