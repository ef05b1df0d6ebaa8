import { describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { importResult, type ImportSummary } from '../../src/main/import/importer'
import { readTimestamp } from '../../src/main/import/timestamps'
import { RecordError, RecordExtractor, type RolloutRec } from '../../src/main/import/records'
import { testBackend } from '../helpers/backend'

// A timestamp field inside the records of an import: each step's wall time is its latest
// record's, ahead of the files' modification times; bad ones are bad lines with file and line.
const FIX = resolve(__dirname, '..', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const t = testBackend('ts.db', 'hicra-timestamps-')
const { ok } = t

async function importAll(req: Record<string, unknown>): Promise<ImportSummary> {
  const { jobId } = await ok<{ jobId: number; runId: number }>('import/start', req)
  return (await importResult(jobId))!
}
const stepWalls = (runId: number) => t.backend.ctx.store.db.prepare('SELECT step, wall_time AS wall FROM run_steps WHERE run_id = ? ORDER BY step').all(runId)
const metricWalls = (runId: number) => t.backend.ctx.store.db.prepare("SELECT step, wall_time AS wall FROM metrics WHERE run_id = ? AND key = 'accuracy' ORDER BY step").all(runId)
const jsonl = (name: string, recs: unknown[]) => {
  const p = join(t.dir, name)
  writeFileSync(p, recs.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n')
  return p
}
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0)

describe('readTimestamp', () => {
  it('reads epoch seconds, epoch milliseconds and ISO-8601 (Z, offsets, a space, fractions; no zone = UTC)', () => {
    expect(readTimestamp(1_748_779_200)).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp(1_748_779_200.25)).toEqual({ ok: true, ms: T0 + 250 })
    expect(readTimestamp(T0)).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('1748779200')).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('2025-06-01T12:00:00Z')).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('2025-06-01T14:00:00+02:00')).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('2025-06-01T07:30:00-0430')).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('2025-06-01 12:00:00.123456')).toEqual({ ok: true, ms: T0 + 123.456 })
    expect(readTimestamp('2025-06-01T12:00')).toEqual({ ok: true, ms: T0 })
    expect(readTimestamp('2025-06-01')).toEqual({ ok: true, ms: Date.UTC(2025, 5, 1) })
  })

  it('refuses durations, words, dates that do not exist and other types, saying what it got', () => {
    expect(readTimestamp(3.2)).toMatchObject({ ok: false, why: 'out of range', detail: expect.stringMatching(/3\.2 is no time between 1990 and 2200/) })
    expect(readTimestamp(1e13)).toMatchObject({ ok: false, why: 'out of range' })
    expect(readTimestamp('yesterday')).toMatchObject({ ok: false, why: 'not a time', detail: 'got "yesterday"' })
    expect(readTimestamp('2025-02-30T00:00:00Z')).toMatchObject({ ok: false, why: 'not a time', detail: expect.stringMatching(/no valid date/) })
    expect(readTimestamp('2025-06-01T25:00:00Z')).toMatchObject({ ok: false, why: 'not a time' })
    expect(readTimestamp(true)).toMatchObject({ ok: false, why: 'not a time', detail: 'got boolean' })
    expect(readTimestamp({})).toMatchObject({ ok: false, why: 'not a time', detail: 'got object' })
  })
})

describe('RecordExtractor times', () => {
  const noBad = (i: number, e: RecordError) => {
    throw new Error(`rollout ${i}: ${e.message}`)
  }
  it('keeps each step\'s latest time: flat records, nested rollouts with their own, parallel lists', () => {
    const x = new RecordExtractor({})
    const out: RolloutRec[] = []
    x.extract({ step: 1, output: 'a', score: 1, timestamp: '2025-06-01T12:00:10Z' }, null, out, noBad)
    x.extract({ step: 1, output: 'b', score: 0, timestamp: '2025-06-01T12:00:05Z' }, null, out, noBad)
    expect(out.map((r) => r.time)).toEqual([T0 + 10_000, T0 + 5000])
    expect(x.times).toEqual(new Map([[1, T0 + 10_000]]))

    const n = new RecordExtractor({})
    n.extract({ step: 2, question: 'q', timestamp: T0 / 1000, rollouts: [{ text: 'a', correct: true }, { text: 'b', correct: false, timestamp: T0 / 1000 + 60 }] }, null, [], noBad)
    expect(n.times).toEqual(new Map([[2, T0 + 60_000]]))

    const p = new RecordExtractor({})
    const par: RolloutRec[] = []
    p.extract({ step: 3, prompt: 'q', response: ['a', 'b'], score: [1, 0], timestamp: [T0, T0 + 7] }, null, par, noBad)
    expect(par.map((r) => r.time)).toEqual([T0, T0 + 7])
    expect(p.times).toEqual(new Map([[3, T0 + 7]]))
    expect(p.resolved().record.timestamp).toBe('timestamp')
  })

  it('a bad time fails its record naming the field it was read from; a list of times outside the parallel shape too', () => {
    const x = new RecordExtractor({})
    expect(() => x.extract({ step: 1, output: 'a', created_at: 'soon' }, null, [], noBad))
      .toThrow(/"created_at" must be a time \(epoch seconds or milliseconds, or an ISO-8601 date and time\): got "soon"/)
    expect(() => x.extract({ step: 1, output: 'a', created_at: [T0] }, null, [], noBad)).toThrow(/"created_at" must be a time, got an array/)
    const m = new RecordExtractor({ timestamp: 'meta.logged' })
    expect(() => m.extract({ step: 1, output: 'a', meta: { logged: 12 } }, null, [], noBad)).toThrow(/"meta\.logged" must be a time .*12 is no time/)
  })
})

describe('import: the records\' timestamps as the steps\' wall times', () => {
  it('a JSONL run: each step at its latest record, the summary says from which field, the time axes on', async () => {
    const file = jsonl('timed.jsonl', [
      { step: 0, output: 'a', score: 1, timestamp: '2025-06-01T12:00:00Z' },
      { step: 0, output: 'b', score: 0, timestamp: '2025-06-01T12:00:30Z' },
      { step: 10, output: 'c', score: 1, timestamp: '2025-06-01T12:05:00Z' },
      { step: 20, output: 'd', score: 1, timestamp: '2025-06-01T13:00:00+01:00' },
      { step: 20, output: 'e', score: 0, timestamp: '2025-06-01T12:10:00Z' }
    ])
    const s = await importAll({ paths: [file], sg: SG })
    expect(s.wallTimes?.from).toBe('records')
    expect(s.wallTimes?.note).toMatch(/wall times: each step's latest record time \(field "timestamp", 3 steps, 10 min from first to last; these take precedence/)
    expect(s.notes).toContain(s.wallTimes!.note)
    expect(s.mapping.record.timestamp).toBe('timestamp')
    const want = [{ step: 0, wall: T0 + 30_000 }, { step: 10, wall: T0 + 300_000 }, { step: 20, wall: T0 + 600_000 }]
    expect(stepWalls(s.runId!)).toEqual(want)
    expect(metricWalls(s.runId!)).toEqual(want)
    const run = await ok<{ timeNote: string | null }>('runs/get', { id: s.runId })
    expect(run.timeNote).toBeNull()
  })

  it('a mapped field (--map timestamp=NAME) as epoch seconds; the default names leave it alone', async () => {
    const file = jsonl('mapped-time.jsonl', [
      { step: 1, output: 'a', score: 1, logged: T0 / 1000, time: 4.2 },
      { step: 2, output: 'b', score: 1, logged: T0 / 1000 + 90, time: 3.9 }
    ])
    const s = await importAll({ paths: [file], sg: SG, mapping: { timestamp: 'logged' } })
    expect(s.bad).toEqual([])
    expect(s.wallTimes?.note).toMatch(/field "logged", 2 steps, 90 s/)
    expect(stepWalls(s.runId!)).toEqual([{ step: 1, wall: T0 }, { step: 2, wall: T0 + 90_000 }])
  })

  it('a "time" field is not read by default: it often holds a duration', async () => {
    const file = jsonl('durations.jsonl', [
      { step: 1, output: 'a', score: 1, time: 3.2 },
      { step: 2, output: 'b', score: 0, time: 2.1 }
    ])
    const s = await importAll({ paths: [file], sg: SG })
    expect(s.bad).toEqual([])
    expect(s.rollouts).toBe(2)
    expect(s.wallTimes?.from).toBe('none')
  })

  it('take precedence over the checkpoint files\' times', async () => {
    const dir = join(t.dir, 'ckpt')
    mkdirSync(dir)
    for (const f of readdirSync(join(FIX, 'checkpoints'))) {
      if (!f.startsWith('step')) continue
      copyFileSync(join(FIX, 'checkpoints', f), join(dir, f))
      utimesSync(join(dir, f), 1_700_000_000, 1_700_000_000 + (f.startsWith('step0100') ? 600 : 0))
    }
    // The step-100 file's records say when they were written: one of its lines carries a time.
    const stamp = (name: string, iso: string) => {
      const p = join(dir, name)
      const lines = readFileSync(p, 'utf8').trim().split('\n')
      lines[0] = JSON.stringify({ ...JSON.parse(lines[0]!), created_at: iso })
      writeFileSync(p, lines.join('\n') + '\n')
      utimesSync(p, 1_700_000_000, 1_700_000_000 + (name.startsWith('step0100') ? 600 : 0))
    }
    stamp('step0000_sft_raw.jsonl', '2025-06-01T12:00:00Z')
    stamp('step0100_rl_raw.jsonl', '2025-06-01T18:00:00Z')
    const s = await importAll({ paths: [dir], sg: SG })
    expect(s.wallTimes?.from).toBe('records')
    expect(s.wallTimes?.note).toMatch(/field "created_at", 2 steps, 6\.0 h/)
    expect(stepWalls(s.runId!)).toEqual([{ step: 0, wall: T0 }, { step: 100, wall: T0 + 6 * 3600_000 }])
  })

  it('read on worker threads: the same times as on one', async () => {
    const dir = join(t.dir, 'verl-timed')
    mkdirSync(dir)
    for (const step of [1, 2, 3]) {
      writeFileSync(join(dir, `${step}.jsonl`), [0, 1, 2].map((i) =>
        JSON.stringify({ input: `p${i}`, output: `answer ${step} ${i}`, score: i % 2, step, wall_time: T0 / 1000 + step * 100 + i })).join('\n') + '\n')
    }
    process.env.HICRA_IMPORT_THREADS = '2'
    try {
      const s = await importAll({ paths: [dir], sg: SG })
      expect(s.wallTimes?.note).toMatch(/field "wall_time", 3 steps/)
      expect(stepWalls(s.runId!)).toEqual([1, 2, 3].map((step) => ({ step, wall: T0 + (step * 100 + 2) * 1000 })))
    } finally {
      delete process.env.HICRA_IMPORT_THREADS
    }
  })

  it('a bad time is a bad line with file and line; the others keep their times', async () => {
    const file = jsonl('badtime.jsonl', [
      { step: 0, output: 'a', score: 1, timestamp: T0 },
      { step: 0, output: 'b', score: 1, timestamp: 'noon' },
      { step: 1, output: 'c', score: 0, timestamp: 2.5 },
      { step: 1, output: 'd', score: 0, timestamp: T0 + 5000 }
    ])
    const s = await importAll({ paths: [file], sg: SG })
    expect(s.rollouts).toBe(2)
    expect(s.skippedByKind).toEqual({ 'wrong type': 1, 'out of range': 1 })
    expect(s.bad.map((b) => `${b.file}:${b.line}: ${b.kind}: ${b.message}`)).toEqual([
      expect.stringMatching(/^badtime\.jsonl:2: wrong type: "timestamp" must be a time .*got "noon" \(--map timestamp=NAME/),
      expect.stringMatching(/^badtime\.jsonl:3: out of range: "timestamp" must be a time .*2\.5 is no time between 1990 and 2200/)
    ])
    expect(stepWalls(s.runId!)).toEqual([{ step: 0, wall: T0 }, { step: 1, wall: T0 + 5000 }])
  })

  it('steps without a time, or times that go back: not used, and the run page says why its time axes are off', async () => {
    const holes = jsonl('holes.jsonl', [
      { step: 0, output: 'a', score: 1, timestamp: T0 },
      { step: 5, output: 'b', score: 1 },
      { step: 9, output: 'c', score: 1, timestamp: T0 + 9000 }
    ])
    const h = await importAll({ paths: [holes], sg: SG })
    expect(h.wallTimes?.from).toBe('none')
    expect(h.wallTimes?.note).toMatch(/^the records' "timestamp" times were not used: 1 of 3 steps have no record with a "timestamp" \(the first: step 5\); the records carry no timestamp/)
    expect(new Set((stepWalls(h.runId!) as { wall: number }[]).map((w) => w.wall)).size).toBe(1)
    const run = await ok<{ timeNote: string | null }>('runs/get', { id: h.runId })
    expect(run.timeNote).toMatch(/^its 3 steps all carry the time they were imported: the records' "timestamp" times were not used: 1 of 3 steps have no record/)

    const back = jsonl('back.jsonl', [
      { step: 0, output: 'a', score: 1, timestamp: T0 + 60_000 },
      { step: 1, output: 'b', score: 1, timestamp: T0 }
    ])
    const b = await importAll({ paths: [back], sg: SG })
    expect(b.wallTimes?.note).toMatch(/they do not grow with the step \(step 1 at 2025-06-01T12:00:00\.000Z, before step 0 at 2025-06-01T12:01:00\.000Z\)/)
    expect((await ok<{ timeNote: string | null }>('runs/get', { id: b.runId })).timeNote).toMatch(/do not grow with the step/)
  })

  it('an import stored before its summary kept `why` still says why, from its note', async () => {
    const holes = jsonl('holes-old.jsonl', [
      { step: 0, output: 'a', score: 1, timestamp: T0 },
      { step: 5, output: 'b', score: 1 }
    ])
    const h = await importAll({ paths: [holes], sg: SG })
    const runs = t.backend.ctx.store.runs
    const source = runs.detail(h.runId!)!.source as { summary: ImportSummary }
    const { why: _, ...older } = source.summary.wallTimes!
    runs.update(h.runId!, { source: { ...source, summary: { ...source.summary, wallTimes: older } } })
    const run = await ok<{ timeNote: string | null }>('runs/get', { id: h.runId })
    expect(run.timeNote).toBe(`its 2 steps all carry the time they were imported: ${h.wallTimes!.why}.`)
    expect(run.timeNote).toMatch(/1 of 2 steps have no record with a "timestamp"/)
  })
})
