import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzipSync } from 'node:zlib'
import { lengthUnit } from '../../src/renderer/src/lib/runPanels'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { compileMatcher, parseSgSetJson, planningMask, RelativePerplexityTracker, StepMetricsAccumulator, tokenSpansFromStrings, tokenSpansFromTokenizer } from '../../src/core'
import { tinyTokenizerJson } from '../core/fixtures'
import { importResult, type ImportSummary } from '../../src/main/import/importer'
import { loadTokenizer } from '../../src/main/import/tokenizer'
import { analyzeFiles } from '../../src/main/import/analyze'
import { testBackend } from '../helpers/backend'

const FIX = resolve(__dirname, '..', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const SG2 = join(FIX, 'sg2.json')
const t = testBackend('w.db', 'hicra-import-')
const { ok, fails } = t
async function importAll(req: Record<string, unknown>): Promise<ImportSummary & { jobId: number }> {
  const { jobId } = await ok<{ jobId: number; runId: number }>('import/start', req)
  const s = await importResult(jobId)!
  return { ...s, jobId }
}
const count = (sql: string, ...p: unknown[]) => t.backend.ctx.store.db.prepare(sql).pluck().get(...p) as number

const phrases = parseSgSetJson(readFileSync(SG, 'utf8')).grams.map((g) => g.phrase)

/** The SPEC metrics of the verl fixture, computed with the core directly from its good lines. */
function expectedVerl(): Record<string, number>[] {
  const m = compileMatcher(phrases)
  const out: Record<string, number>[] = []
  const tracker = new RelativePerplexityTracker()
  for (const step of [1, 2]) {
    const acc = new StepMetricsAccumulator(m, { passK: [1, 8] })
    for (const line of readFileSync(join(FIX, 'verl', `${step}.jsonl`), 'utf8').split('\n')) {
      let r: { input: string; output?: unknown; score: unknown; acc?: boolean }
      try {
        r = JSON.parse(line)
      } catch {
        continue
      }
      if (typeof r.output !== 'string' || typeof r.score !== 'number') continue
      acc.add({ text: r.output, score: r.score, correct: r.acc, promptId: r.input })
    }
    const res = acc.result()
    out.push({ step, ...res, ...tracker.add(step, res) })
  }
  return out
}

describe('import: verl dump with bad lines', () => {
  let s: ImportSummary & { jobId: number }
  it('imports the good lines, lists the bad ones with file:line and reason', async () => {
    s = await importAll({ paths: [join(FIX, 'verl')], sg: SG })
    expect(s.format).toBe('verl')
    expect(s.rollouts).toBe(6)
    expect(s.steps).toBe(2)
    expect(s.skippedLines).toBe(3)
    expect(s.skippedByKind).toEqual({ 'malformed JSON': 1, 'missing field': 1, 'wrong type': 1 })
    expect(s.bad.map((b) => `${b.file}:${b.line}:${b.kind}`)).toEqual(['1.jsonl:3:malformed JSON', '2.jsonl:2:missing field', '2.jsonl:3:wrong type'])
    expect(s.bad[2]!.message).toContain('"score" must be a number or a boolean')
    const run = t.backend.ctx.store.runs.detail(s.runId!)!
    expect(run.status).toBe('imported')
    expect(run.rollouts).toBe(6)
    // No token data in a verl dump: length counts words, and the chart's axis says so.
    expect(s.tokenRollouts).toBe(0)
    expect(lengthUnit(run)).toBe('words')
    expect(lengthUnit({ kind: 'train' })).toBe('tokens')
    expect(lengthUnit({ kind: 'import', source: { summary: { rollouts: 6, tokenRollouts: 2 } } })).toBe('tokens or words')
    expect(run.sgSetId).not.toBeNull()
    expect(count('SELECT count(*) FROM import_files WHERE run_id = ?', s.runId)).toBe(2)
    const job = t.backend.ctx.store.jobs.get(s.jobId)!
    expect(job).toMatchObject({ status: 'completed', unit: 'bytes' })
    expect(job.done).toBe(job.total)
    const result = await ok<{ status: string; summary: { rollouts: number; bad: unknown[] } }>('import/result', { jobId: s.jobId })
    expect(result.status).toBe('completed')
    expect(result.summary.rollouts).toBe(6)
    expect(result.summary.bad).toHaveLength(3)
  })

  it('stores per-step metrics under the SPEC names, equal to the core computed directly', async () => {
    const expected = expectedVerl()
    const keys = t.backend.ctx.store.runs.metricKeys(s.runId!)
    expect(keys).toEqual(Object.keys(expected[0]!).filter((k) => k !== 'step').sort())
    for (const row of expected) {
      for (const [k, v] of Object.entries(row)) {
        if (k === 'step') continue
        const series = t.backend.ctx.store.metrics.series({ runId: s.runId!, key: k, maxPoints: 100 })
        expect(series.last[series.step.indexOf(row.step)], `${k} at step ${row.step}`).toBeCloseTo(v, 12)
      }
    }
    // analyze (no database) gives the same numbers
    const a = await analyzeFiles({ paths: [join(FIX, 'verl')], phrases })
    expect(a.steps).toEqual(expected)
  })

  it('re-importing the same files adds no rows', async () => {
    const before = count('SELECT count(*) FROM rollouts')
    const runs = t.backend.ctx.store.runs.list().length
    const again = await importAll({ paths: [join(FIX, 'verl')], sg: SG })
    expect(again.alreadyImported).toBe(s.runId)
    expect(again.files.every((f) => f.status === 'already imported')).toBe(true)
    expect(count('SELECT count(*) FROM rollouts')).toBe(before)
    expect(t.backend.ctx.store.runs.list().length).toBe(runs)
    // a copy of one file under another name is the same content: only the new file is imported
    const dir = join(t.dir, 'verl-grown')
    mkdirSync(dir)
    copyFileSync(join(FIX, 'verl', '1.jsonl'), join(dir, '1.jsonl'))
    copyFileSync(join(FIX, 'verl', '2.jsonl'), join(dir, '2.jsonl'))
    // a new step file (content no import holds yet) and a copy of step 1 under another name
    writeFileSync(join(dir, '3.jsonl'), readFileSync(join(FIX, 'verl', '1.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n')
    copyFileSync(join(FIX, 'verl', '1.jsonl'), join(dir, '4.jsonl'))
    const grown = await importAll({ paths: [dir], sg: SG })
    expect(grown.files.map((f) => f.status)).toEqual(['already imported', 'already imported', 'imported', 'already imported'])
    expect(grown.rollouts).toBe(2)
    expect(count('SELECT count(*) FROM rollouts')).toBe(before + 2)
  })

  it('rollouts/page filters and rollouts/get returns text with planning spans', async () => {
    const page = await ok<{ total: number; items: { id: number; step: number; correct: boolean | null; hasSg: boolean; preview: string }[] }>(
      'rollouts/page', { runId: s.runId, step: 1 })
    expect(page.total).toBe(3)
    expect(page.items.map((i) => i.correct)).toEqual([true, false, true])
    expect(page.items.map((i) => i.hasSg)).toEqual([true, true, false])
    expect((await ok<{ total: number }>('rollouts/page', { runId: s.runId, correct: false })).total).toBe(2)
    expect((await ok<{ total: number }>('rollouts/page', { runId: s.runId, hasSg: false })).total).toBe(2)
    expect((await ok<{ total: number }>('rollouts/page', { runId: s.runId, text: 'PRIME' })).total).toBe(1)
    expect((await ok<{ total: number }>('rollouts/page', { runId: s.runId, stepMin: 2, stepMax: 2, limit: 1 })).total).toBe(3)
    const a = await ok<{ response: string; planningSpans: [number, number][]; tokens: unknown; gold: string; prompt: string; labels: unknown[] }>(
      'rollouts/get', { id: page.items[0]!.id })
    // SPEC §6: the occurrences of response A
    expect(a.planningSpans).toEqual([[0, 18], [31, 61], [37, 61], [63, 82]])
    expect(a).toMatchObject({ tokens: null, gold: '7', prompt: 'p1', labels: [] })
  })

  it('runs/setSgSet recomputes masks and metrics as a job', async () => {
    const before = t.backend.ctx.store.metrics.series({ runId: s.runId!, key: 'semantic_entropy', maxPoints: 10 }).last
    const { jobId } = await ok<{ jobId: number }>('runs/setSgSet', { runId: s.runId, sg: SG2 })
    await new Promise<void>((done) => {
      const check = () => (t.backend.ctx.store.jobs.get(jobId)!.status === 'running' ? setTimeout(check, 20) : done())
      check()
    })
    expect(t.backend.ctx.store.jobs.get(jobId)!.status).toBe('completed')
    // one SG: entropy 0; response C still has none, D now has one
    expect(t.backend.ctx.store.metrics.series({ runId: s.runId!, key: 'semantic_entropy', maxPoints: 10 }).last).toEqual([0, 0])
    expect(before).not.toEqual([0, 0])
    const page = await ok<{ items: { hasSg: boolean }[] }>('rollouts/page', { runId: s.runId, hasSg: true })
    expect(page.items.length).toBe(4)
    const set = t.backend.ctx.store.runs.get(s.runId!)!
    expect(t.backend.ctx.store.sgSets.get(set.sgSetId!).name).toBe('import-fixture-narrow')
  })
})

describe('import: JSONL with a field mapping and token data', () => {
  it('uses --map (dotted paths too), stores token BLOBs, planning masks, truth labels; saves the mapping', async () => {
    const s = await importAll({ paths: [join(FIX, 'mapped.jsonl')], sg: SG, mapping: { step: 'iter', prompt_id: 'meta.problem' }, name: 'mapped' })
    expect(s).toMatchObject({ format: 'jsonl', rollouts: 6, tokenRollouts: 6, steps: 2, skippedLines: 0 })
    const detail = t.backend.ctx.store.runs.detail(s.runId!)!
    expect(lengthUnit(detail)).toBe('tokens')
    const analysed = await analyzeFiles({ paths: [join(FIX, 'mapped.jsonl')], phrases, mapping: { step: 'iter', prompt_id: 'meta.problem' } })
    expect(analysed).toMatchObject({ rollouts: 6, tokenRollouts: 6 })
    expect(s.mapping.record).toMatchObject({ step: 'iter', prompt_id: 'meta.problem', response: 'completion', score: 'reward', tokens: 'tokens', error_type: 'error_type' })
    const run = t.backend.ctx.store.runs.detail(s.runId!)!
    expect(run.name).toBe('mapped')
    expect((run.source as { mapping: unknown }).mapping).toEqual({ step: 'iter', prompt_id: 'meta.problem' })
    for (const k of ['token_entropy', 'token_entropy_planning', 'perplexity_planning', 'relative_perplexity_execution', 'high_entropy_planning_share', 'pass_at_1']) {
      expect(run.metricKeys).toContain(k)
    }
    expect(t.backend.ctx.store.metrics.series({ runId: s.runId!, key: 'relative_perplexity_planning', maxPoints: 10 }).last[0]).toBe(1)
    const labelled = await ok<{ total: number; items: { id: number; errorType: string }[] }>('rollouts/page', { runId: s.runId, errorType: 'planning' })
    expect(labelled.total).toBe(1)
    const b = await ok<{ response: string; tokens: { starts: number[]; ends: number[]; planning: number[]; logprobs: number[] }; labels: unknown[]; errorType: string; promptId: string; step: number }>(
      'rollouts/get', { id: labelled.items[0]!.id })
    expect(b).toMatchObject({ errorType: 'planning', promptId: 'q1', step: 1, labels: [{ source: 'truth', errorType: 'planning' }] })
    const line = JSON.parse(readFileSync(join(FIX, 'mapped.jsonl'), 'utf8').split('\n')[1]!)
    const spans = tokenSpansFromStrings(line.tokens, line.completion)
    expect(b.tokens.starts).toEqual([...spans.starts])
    expect(b.tokens.logprobs).toEqual([...Float32Array.from(line.logprobs)])
    expect(b.tokens.planning).toEqual([...planningMask(spans.starts, spans.ends, compileMatcher(phrases).findOccurrences(line.completion))])
    expect(b.tokens.planning.some((x) => x === 1)).toBe(true)
  })

  it('a re-import of the same paths reuses the saved mapping', async () => {
    const dir = join(t.dir, 'remap')
    mkdirSync(dir)
    // new content at the same path: a second import of that path
    const p = join(dir, 'm.jsonl')
    const all = readFileSync(join(FIX, 'mapped.jsonl'), 'utf8').trim().split('\n')
    writeFileSync(p, all.slice(0, 5).join('\n') + '\n')
    const first = await importAll({ paths: [p], sg: SG, mapping: { step: 'iter', prompt_id: 'meta.problem' } })
    expect(first.steps).toBe(2)
    writeFileSync(p, all.slice(0, 3).join('\n') + '\n')
    const second = await importAll({ paths: [p], sg: SG })
    expect(second.mapping.record).toMatchObject({ step: 'iter', prompt_id: 'meta.problem' })
    expect(second.rollouts).toBe(3)
  })
})

describe('import: --tokenizer', () => {
  it('tokenizes responses without tokens with the core, so token-level planning exists', async () => {
    const tk = join(t.dir, 'tokenizer.json')
    writeFileSync(tk, JSON.stringify(tinyTokenizerJson()))
    // new content (the fixture itself is imported above): step 1 plus one more response
    const f = join(t.dir, '1.jsonl')
    writeFileSync(f, readFileSync(join(FIX, 'verl', '1.jsonl'), 'utf8') + JSON.stringify({ input: 'p3', output: 'Wait, let me check it.', score: 1 }) + '\n')
    const s = await importAll({ paths: [f], sg: SG, tokenizer: tk, format: 'verl' })
    expect(s.rollouts).toBe(4)
    const rows = t.backend.ctx.store.db.prepare('SELECT id, response, n_tokens FROM rollouts WHERE run_id = ? ORDER BY id').all(s.runId) as { id: number; response: string; n_tokens: number }[]
    const tokenizer = loadTokenizer(tinyTokenizerJson())
    for (const r of rows) {
      const spans = tokenSpansFromTokenizer(tokenizer, r.response)
      expect(r.n_tokens).toBe(spans.starts.length)
      const d = await ok<{ tokens: { starts: number[]; planning: number[] } }>('rollouts/get', { id: r.id })
      expect(d.tokens.starts).toEqual([...spans.starts])
      expect(d.tokens.planning).toEqual([...planningMask(spans.starts, spans.ends, compileMatcher(phrases).findOccurrences(r.response))])
    }
    // length is now in tokens (SPEC §4)
    const len = t.backend.ctx.store.metrics.series({ runId: s.runId!, key: 'length', maxPoints: 10 }).last[0]
    expect(len).toBe(rows.reduce((n, r) => n + r.n_tokens, 0) / 4)
  })
})

describe('import: checkpoint evaluations', () => {
  it('flattens nested rollouts, takes steps from file names, leaves out files without rollouts', async () => {
    const s = await importAll({ paths: [join(FIX, 'checkpoints')], sg: SG })
    expect(s.format).toBe('checkpoints')
    expect(s.rollouts).toBe(3 * 3 * 4)
    expect(s.files.map((f) => f.path.replace(/^.*\//, ''))).toEqual(['final_main_rl_raw.jsonl', 'step0000_sft_raw.jsonl', 'step0100_rl_raw.jsonl'])
    expect(s.notes.join('\n')).toMatch(/left out subset_questions.jsonl/)
    expect(s.notes.join('\n')).toMatch(/final_main_rl_raw.jsonl .*step 101/)
    const steps = t.backend.ctx.store.db.prepare('SELECT step, count(*) AS n, sum(correct) AS c FROM rollouts WHERE run_id = ? GROUP BY step').all(s.runId) as { step: number; n: number; c: number }[]
    expect(steps.map((x) => x.step)).toEqual([0, 100, 101])
    expect(steps.every((x) => x.n === 12)).toBe(true)
    const acc = t.backend.ctx.store.metrics.series({ runId: s.runId!, key: 'accuracy', maxPoints: 10 })
    expect(acc.last).toEqual(steps.map((x) => x.c / 12))
    const one = t.backend.ctx.store.db.prepare('SELECT prompt_id, prompt, gold, answer FROM rollouts WHERE run_id = ? AND step = 0 ORDER BY id LIMIT 1').get(s.runId)
    expect(one).toEqual({ prompt_id: '0', prompt: 'Question 0?', gold: '0', answer: '1' })
  })
})

describe('import: cancel and invalid arguments', () => {
  it('a cancelled import leaves the workspace as it was', async () => {
    const dir = join(t.dir, 'big')
    const { genVerlDump } = await import('../helpers/genVerl')
    genVerlDump(dir, { steps: 4, perStep: 4000, words: 200 })
    const runs = t.backend.ctx.store.runs.list().length
    const rows = count('SELECT count(*) FROM rollouts')
    const { jobId, runId } = await ok<{ jobId: number; runId: number }>('import/start', { paths: [dir], sg: SG })
    const p = importResult(jobId)!
    await new Promise((r) => setTimeout(r, 150))
    expect(await ok<{ cancelled: boolean }>('import/cancel', { jobId })).toEqual({ cancelled: true })
    await expect(p).rejects.toThrow(/cancel/)
    expect(t.backend.ctx.store.runs.get(runId)).toBeNull()
    expect(t.backend.ctx.store.runs.list().length).toBe(runs)
    expect(count('SELECT count(*) FROM rollouts')).toBe(rows)
    expect(t.backend.ctx.store.jobs.get(jobId)!.status).toBe('cancelled')
  })

  it('bad arguments get typed errors naming the field', async () => {
    expect(await fails('import/start', { paths: [] })).toMatchObject({ code: 'invalid_argument', field: 'paths' })
    expect(await fails('import/start', { paths: [join(t.dir, 'nope')] })).toMatchObject({ code: 'invalid_argument', field: 'paths' })
    expect((await fails('import/start', { paths: [join(t.dir, 'nope')] })).message).toContain('does not exist')
    expect(await fails('import/start', { paths: [join(FIX, 'verl')], sg: 'no such set' })).toMatchObject({ code: 'invalid_argument', field: 'sg' })
    expect(await fails('import/start', { paths: [join(FIX, 'verl')], format: 'csv' })).toMatchObject({ code: 'invalid_argument', field: 'format' })
    expect(await fails('import/start', { paths: [join(FIX, 'verl')], mapping: { answerz: 'x' } })).toMatchObject({ code: 'invalid_argument' })
    expect(await fails('import/start', { paths: [join(FIX, 'verl')], sg: SG, tokenizer: join(FIX, 'sg.json') })).toMatchObject({ code: 'invalid_argument', field: 'tokenizer' })
    expect(await fails('import/cancel', { jobId: 99999 })).toMatchObject({ code: 'not_found', field: 'jobId' })
    expect(await fails('import/result', { jobId: 99999 })).toMatchObject({ code: 'not_found', field: 'jobId' })
    expect(await fails('rollouts/page', { runId: 99999 })).toMatchObject({ code: 'not_found', field: 'runId' })
    expect(await fails('rollouts/page', { runId: 1, limit: 501 })).toMatchObject({ code: 'invalid_argument', field: 'limit' })
    expect(await fails('rollouts/page', { runId: 1, stepMin: 3, stepMax: 1 })).toMatchObject({ code: 'invalid_argument', field: 'stepMin' })
    expect(await fails('rollouts/get', { id: 99999 })).toMatchObject({ code: 'not_found', field: 'id' })
    expect(await fails('rollouts/get', { id: 'x' })).toMatchObject({ code: 'invalid_argument', field: 'id' })
    expect(await fails('runs/setSgSet', { runId: 99999, sg: SG })).toMatchObject({ code: 'not_found', field: 'runId' })
  })

  it('reads CRLF line ends and a byte-order mark', async () => {
    const f = join(t.dir, 'crlf.jsonl')
    const lines = readFileSync(join(FIX, 'verl', '1.jsonl'), 'utf8').trim().split('\n')
    writeFileSync(f, '\ufeff' + lines.join('\r\n') + '\r\n' + JSON.stringify({ input: 'p9', output: 'one more', score: 0 }) + '\r\n')
    const r = await analyzeFiles({ paths: [f], phrases })
    expect(r.rollouts).toBe(4)
    expect(r.bad.first.map((b) => b.line)).toEqual([3])
  })

  it('import/preview shows the first lines, the detected format and the mapping', async () => {
    const p = await ok<{ format: string; lines: { line: number }[]; mapping: { record: Record<string, string> }; sample: unknown[]; bad: { line: number }[] }>(
      'import/preview', { paths: [join(FIX, 'verl')], lines: 3 })
    expect(p.format).toBe('verl')
    expect(p.lines.map((l) => l.line)).toEqual([1, 2, 3])
    expect(p.mapping.record).toMatchObject({ response: 'output', score: 'score', correct: 'acc', prompt: 'input' })
    expect(p.sample).toHaveLength(2)
    expect(p.bad.map((b) => b.line)).toEqual([3])
  })
})

describe('import: gzip-compressed dumps', () => {
  it('reads a folder of <step>.jsonl.gz as verl, with the same metrics and bad lines as the plain files', async () => {
    const dir = join(t.dir, 'verl-gz')
    mkdirSync(dir)
    for (const step of [1, 2]) writeFileSync(join(dir, `${step}.jsonl.gz`), gzipSync(readFileSync(join(FIX, 'verl', `${step}.jsonl`))))
    const plain = await analyzeFiles({ paths: [join(FIX, 'verl')], phrases })
    const gz = await analyzeFiles({ paths: [dir], phrases })
    expect(gz.format).toBe('verl')
    expect(gz.steps).toEqual(plain.steps)
    expect(gz.bad.first.map((b) => `${b.file}:${b.line}:${b.kind}`)).toEqual(['1.jsonl.gz:3:malformed JSON', '2.jsonl.gz:2:missing field', '2.jsonl.gz:3:wrong type'])
    const s = await importAll({ paths: [dir], sg: SG, name: 'gz' })
    expect(s).toMatchObject({ format: 'verl', rollouts: 6, steps: 2, skippedLines: 3 })
    expect(s.files.map((f) => f.status)).toEqual(['imported', 'imported'])
  })

  it('a truncated gzip file: its whole lines imported, the cut listed with file and line, the other files whole', async () => {
    const dir = join(t.dir, 'verl-cut')
    mkdirSync(dir)
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ input: `p${i % 7}`, output: `let me verify this, step ${i} gives ${i * 3}`, score: i % 2, step: 2 }))
    const gz = gzipSync(Buffer.from(lines.join('\n') + '\n'))
    writeFileSync(join(dir, '2.jsonl.gz'), gz.subarray(0, gz.length - 40))
    // (Content of its own: a copy of a fixture imported above would be skipped as already imported.)
    writeFileSync(join(dir, '1.jsonl'), [0, 1, 2].map((i) => JSON.stringify({ input: 'q', output: `first try ${i}`, score: 1, step: 1 })).join('\n') + '\n')
    const s = await importAll({ paths: [dir], sg: SG, name: 'cut' })
    const cut = s.bad.find((b) => b.kind === 'corrupt file')!
    expect(cut.file).toBe('2.jsonl.gz')
    expect(cut.message).toMatch(/gzip data is truncated/)
    const kept = cut.line - 1
    expect(kept).toBeGreaterThan(300)
    expect(s.rollouts).toBe(3 + kept)
    expect(s.skippedByKind['corrupt file']).toBe(1)
  })

  it('leaves out a compressed copy that sits beside its plain file, and says so', async () => {
    const dir = join(t.dir, 'verl-both')
    mkdirSync(dir)
    for (const step of [1, 2]) copyFileSync(join(FIX, 'verl', `${step}.jsonl`), join(dir, `${step}.jsonl`))
    writeFileSync(join(dir, '2.jsonl.gz'), gzipSync(readFileSync(join(FIX, 'verl', '2.jsonl'))))
    const r = await analyzeFiles({ paths: [dir], phrases })
    expect(r.rollouts).toBe(6)
    expect(r.notes).toContain('left out 2.jsonl.gz: 2.jsonl beside it holds the same rollouts')
  })
})
