import { describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { compileMatcher, parseSgSetJson, StepMetricsAccumulator } from '../../src/core'
import { importResult, type ImportSummary } from '../../src/main/import/importer'
import { analyzeFiles } from '../../src/main/import/analyze'
import { tokenNote } from '../../src/shared/tokenNote'
import { testBackend } from '../helpers/backend'

// The shapes real evaluation dumps come in, made here (no data from ../shared): JSON arrays and
// objects keyed by problem id, per-checkpoint JSON folders with files beside them, several models'
// answers per record, records without an outcome, files with nothing usable.
const SG = resolve(__dirname, '..', 'fixtures', 'import', 'sg.json')
const phrases = parseSgSetJson(readFileSync(SG, 'utf8')).grams.map((g) => g.phrase)
const t = testBackend('shapes.db', 'hicra-shapes-')
const db = () => t.backend.ctx.store.db
const count = (sql: string, ...p: unknown[]) => db().prepare(sql).pluck().get(...p) as number
const series = (runId: number, key: string) => t.backend.ctx.store.metrics.series({ runId, key, maxPoints: 1000 })

async function importAll(req: Record<string, unknown>): Promise<ImportSummary & { jobId: number; also?: { jobId: number; runId: number; name: string }[] }> {
  const started = await t.ok<{ jobId: number; runId: number; also?: { jobId: number; runId: number; name: string }[] }>('import/start', { sg: SG, ...req })
  const s = await importResult(started.jobId)!
  return { ...s, jobId: started.jobId, also: started.also }
}
/** An import that must fail: its error (the job's), and the workspace unchanged. */
async function importFails(req: Record<string, unknown>): Promise<string> {
  const runs = count('SELECT count(*) FROM runs')
  const files = count('SELECT count(*) FROM import_files')
  const r = await t.backend.invoke('import/start', { sg: SG, ...req })
  let message: string
  if (!r.ok) message = r.error.message
  else {
    message = await importResult((r.value as { jobId: number }).jobId)!.then(() => 'succeeded', (e: Error) => e.message)
    expect(message).not.toBe('succeeded')
  }
  expect(count('SELECT count(*) FROM runs')).toBe(runs)
  expect(count('SELECT count(*) FROM import_files')).toBe(files)
  return message
}

type Rec = { response: string; correct?: boolean; score?: number; problem?: string }
/** accuracy and pass@1 of records as SPEC §4 defines them, by the core. */
function expected(recs: (Rec & { id: string })[]): Record<string, number> {
  const acc = new StepMetricsAccumulator(compileMatcher(phrases), { passK: [1, 8] })
  for (const r of recs) acc.add({ text: r.response, correct: r.correct, score: r.score, promptId: r.id })
  return acc.result() as Record<string, number>
}

const answer = (i: number, step: number) => (i + step / 100) % 3 === 0 ? 'Wait, let me check: the answer is 4.' : `We can use the fact that ${i} + ${step} is even.`
/** A checkpoint's answers to problems 0..n-1 as an object keyed by problem id; correctness varies with the step. */
function checkpointDict(step: number, n = 6): Record<string, Rec> {
  const out: Record<string, Rec> = {}
  for (let i = 0; i < n; i++) out[`test/algebra/${i}.json`] = { problem: `Problem ${i}?`, response: answer(i, step), correct: (i * 7 + step / 100) % 4 < 2 }
  return out
}
const asRecs = (d: Record<string, Rec>) => Object.entries(d).map(([id, r]) => ({ ...r, id }))

describe('import: a folder of per-checkpoint JSON files keyed by problem id', () => {
  const dir = join(t.dir, 'rlvr')
  const steps = { 100: checkpointDict(100), 200: checkpointDict(200), 300: checkpointDict(300) }
  const start = checkpointDict(0, 4)
  const final = checkpointDict(900, 4)
  const dpo = checkpointDict(500, 4)
  const config = { model: 'qwen', lr: 1e-6, temperature: 0.6 }
  let s: Awaited<ReturnType<typeof importAll>>

  it('imports one step per checkpoint; leaves out the files beside them, naming each; keeps the run config', async () => {
    mkdirSync(join(dir, 'checkpoint-300'), { recursive: true })
    writeFileSync(join(dir, 'rlvr_step_100_responses.json'), JSON.stringify(steps[100], null, 2))
    // one line, as json.dump writes it
    writeFileSync(join(dir, 'step0200_responses.json'), JSON.stringify(steps[200]))
    writeFileSync(join(dir, 'checkpoint-300', 'responses.json'), JSON.stringify(steps[300], null, 1))
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ step_100: { accuracy: 0.5 }, step_200: { accuracy: 0.6 } }))
    writeFileSync(join(dir, 'problems.json'), JSON.stringify(Object.keys(steps[100]).map((id, i) => ({ problem_id: id, problem: `Problem ${i}?` }))))
    writeFileSync(join(dir, 'rlvr_run_config.json'), JSON.stringify(config))
    writeFileSync(join(dir, 'rlvr_start_math500_responses.json'), JSON.stringify(start))
    writeFileSync(join(dir, 'rlvr_final_math500_responses.json'), JSON.stringify(final))
    writeFileSync(join(dir, 'dpo_math500_responses.json'), JSON.stringify(dpo))

    s = await importAll({ paths: [dir] })
    expect(s.format).toBe('checkpoints')
    expect(s.layout).toBe('JSON object keyed by problem id')
    expect(s.rollouts).toBe(18)
    expect(s.steps).toBe(3)
    expect(s.skippedLines).toBe(0)
    const acc = series(s.runId!, 'accuracy')
    expect(acc.step).toEqual([100, 200, 300])
    for (const [i, step] of [100, 200, 300].entries()) {
      const want = expected(asRecs(steps[step as 100]))
      expect(acc.last[i]).toBeCloseTo(want.accuracy!, 12)
      expect(series(s.runId!, 'pass_at_1').last[i]).toBeCloseTo(want.pass_at_1!, 12)
      expect(series(s.runId!, 'semantic_entropy').last[i]).toBeCloseTo(want.semantic_entropy!, 12)
    }
    // the key is the prompt id
    expect(db().prepare('SELECT prompt_id, prompt FROM rollouts WHERE run_id = ? AND step = 100 ORDER BY id LIMIT 1').get(s.runId))
      .toEqual({ prompt_id: 'test/algebra/0.json', prompt: 'Problem 0?' })
    const notes = s.notes.join('\n')
    expect(notes).toMatch(/left out summary\.json: its records hold no rollouts/)
    expect(notes).toMatch(/left out problems\.json: its records hold no rollouts/)
    expect(notes).toMatch(/kept rlvr_run_config\.json as the run's config/)
    expect(t.backend.ctx.store.runs.detail(s.runId!)!.config).toEqual({ sgSet: 'import-fixture', runConfig: { 'rlvr_run_config.json': config } })
    expect(count('SELECT count(*) FROM import_files WHERE run_id = ?', s.runId)).toBe(3)
  })

  it('offers the start/final and DPO answers as runs of their own, never merged into a checkpoint', async () => {
    const notes = s.notes.join('\n')
    expect(notes).toMatch(/rlvr_final_math500_responses\.json, rlvr_start_math500_responses\.json: answers of the start and final models .*not merged into a numbered checkpoint/)
    expect(notes).toMatch(/dpo_math500_responses\.json: another model's answers/)
    expect(s.also?.map((a) => a.name)).toEqual(['rlvr · dpo_math500_responses', 'rlvr · rlvr_math500_responses'])
    const [d, sf] = await Promise.all(s.also!.map((a) => importResult(a.jobId)!))
    expect(d).toMatchObject({ rollouts: 4, steps: 1 })
    expect(series(d!.runId!, 'accuracy').last[0]).toBeCloseTo(expected(asRecs(dpo)).accuracy!, 12)
    expect(sf).toMatchObject({ rollouts: 8, steps: 2 })
    const acc = series(sf!.runId!, 'accuracy')
    expect(acc.step).toEqual([0, 1])
    expect(acc.last[0]).toBeCloseTo(expected(asRecs(start)).accuracy!, 12)
    expect(acc.last[1]).toBeCloseTo(expected(asRecs(final)).accuracy!, 12)
    // step 500 of the main run does not exist: the DPO file's number was not taken for a checkpoint
    expect(count('SELECT count(*) FROM rollouts WHERE run_id = ? AND step NOT IN (100, 200, 300)', s.runId)).toBe(0)
  })

  it('analyze reads the folder the same way', async () => {
    const a = await analyzeFiles({ paths: [dir], phrases })
    expect(a.steps.map((x) => x.step)).toEqual([100, 200, 300])
    expect(a.steps.map((x) => x.accuracy)).toEqual(series(s.runId!, 'accuracy').last)
    expect(a.layout).toBe('JSON object keyed by problem id')
  })
})

describe('import: a JSON array of records', () => {
  it('streams the array: each record through the same mapping, bad ones named by their line', async () => {
    const recs = Array.from({ length: 40 }, (_, i) => ({ step: i % 2, prompt_id: `q${i % 5}`, response: answer(i, 0), score: (i * 5) % 3 === 0 ? 1 : 0 }))
    const lines = recs.map((r) => JSON.stringify(r))
    // record 8 (line 10) has a wrong score
    lines[8] = JSON.stringify({ step: 0, prompt_id: 'q3', response: 'x', score: 'high' })
    const file = join(t.dir, 'evals.json')
    writeFileSync(file, '[\n' + lines.join(',\n') + '\n]\n')
    const s = await importAll({ paths: [file] })
    expect(s).toMatchObject({ format: 'jsonl', layout: 'JSON array of records', rollouts: 39, steps: 2, skippedLines: 1 })
    expect(s.bad.map((b) => `${b.file}:${b.line}: ${b.kind}`)).toEqual(['evals.json:10: wrong type'])
    const good = recs.map((r, i) => ({ ...r, id: r.prompt_id, i })).filter((r) => r.i !== 8)
    for (const step of [0, 1]) {
      const want = expected(good.filter((r) => r.step === step))
      const acc = series(s.runId!, 'accuracy')
      expect(acc.last[step]).toBeCloseTo(want.accuracy!, 12)
      expect(series(s.runId!, 'pass_at_1').last[step]).toBeCloseTo(want.pass_at_1!, 12)
    }
    const a = await analyzeFiles({ paths: [file], phrases })
    expect(a.steps.map((x) => x.accuracy)).toEqual(series(s.runId!, 'accuracy').last)
  })
})

describe('import: several models\' answers in one record', () => {
  const file = join(t.dir, 'prm800k.jsonl')
  const recs = Array.from({ length: 12 }, (_, i) => ({
    question: `Q${i % 4}?`,
    '6b_finetuning': { solution: answer(i, 0), is_correct: i % 3 === 0 },
    '175b_verification': { solution: answer(i, 100), is_correct: i % 2 === 0 }
  }))
  const want = (m: '6b_finetuning' | '175b_verification') => expected(recs.map((r) => ({ response: r[m].solution, correct: r[m].is_correct, id: r.question })))

  it('a dotted mapping reads one model; the same file with another mapping is a new import', async () => {
    writeFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const a = await importAll({ paths: [file], name: 'a', mapping: { response: '175b_verification.solution', correct: '175b_verification.is_correct' } })
    expect(a.rollouts).toBe(12)
    expect(series(a.runId!, 'accuracy').last[0]).toBeCloseTo(want('175b_verification').accuracy!, 12)
    const b = await importAll({ paths: [file], name: 'b', mapping: { response: '6b_finetuning.solution', correct: '6b_finetuning.is_correct' } })
    expect(b.alreadyImported).toBeNull()
    expect(b.runId).not.toBe(a.runId)
    expect(series(b.runId!, 'accuracy').last[0]).toBeCloseTo(want('6b_finetuning').accuracy!, 12)
    // the same mapping again is the same import
    const again = await importAll({ paths: [file], mapping: { correct: '6b_finetuning.is_correct', response: '6b_finetuning.solution' } })
    expect(again.alreadyImported).toBe(b.runId)
  })

  it('each: one run per named entry in one go', async () => {
    const s = await importAll({ paths: [file], name: 'prm', each: ['6b_finetuning', '175b_verification'] })
    const other = await importResult(s.also![0]!.jobId)!
    expect([s, other].map((x) => t.backend.ctx.store.runs.get(x.runId!)!.name)).toEqual(['prm · 6b_finetuning', 'prm · 175b_verification'])
    expect(series(s.runId!, 'accuracy').last[0]).toBeCloseTo(want('6b_finetuning').accuracy!, 12)
    expect(series(other.runId!, 'accuracy').last[0]).toBeCloseTo(want('175b_verification').accuracy!, 12)
    expect(series(other.runId!, 'pass_at_1').last[0]).toBeCloseTo(want('175b_verification').pass_at_1!, 12)
    expect(s.rollouts + other.rollouts).toBe(24)
    // a name no record has: that run stores nothing, so it fails and leaves nothing behind
    const msg = await importFails({ paths: [file], mapping: { entry: '7b_sft' } })
    expect(msg).toMatch(/nothing imported: no rollout could be read from prm800k\.jsonl .*12 missing field.*no entry "7b_sft"/)
  })
})

describe('import: records without an outcome', () => {
  it('imports them, counts them apart, and leaves them out of accuracy and pass@k; keeps temperature', async () => {
    const withOutcome = Array.from({ length: 8 }, (_, i) => ({ prompt_id: `p${i % 2}`, response: answer(i, 0), correct: i % 3 === 0, temperature: 0.6 }))
    const without = Array.from({ length: 6 }, (_, i) => ({ prompt_id: `p${i % 2}`, response: answer(i, 100), temperature: i < 3 ? 1.0 : 1.2 }))
    const file = join(t.dir, 'temps.jsonl')
    writeFileSync(file, [...withOutcome, ...without].map((r) => JSON.stringify(r)).join('\n') + '\n')
    const s = await importAll({ paths: [file] })
    expect(s).toMatchObject({ rollouts: 14, noOutcome: 6, skippedLines: 0 })
    const want = expected(withOutcome.map((r) => ({ ...r, id: r.prompt_id })))
    expect(series(s.runId!, 'accuracy').last[0]).toBeCloseTo(want.accuracy!, 12)
    expect(series(s.runId!, 'pass_at_1').last[0]).toBeCloseTo(want.pass_at_1!, 12)
    // every rollout is in the text metrics
    expect(series(s.runId!, 'rollouts').last[0]).toBe(14)
    const temps = db().prepare("SELECT json_extract(extra, '$.temperature') AS t, count(*) AS n FROM rollouts WHERE run_id = ? GROUP BY t ORDER BY t").all(s.runId)
    expect(temps).toEqual([{ t: 0.6, n: 8 }, { t: 1, n: 3 }, { t: 1.2, n: 3 }])

    const only = join(t.dir, 'sampling.jsonl')
    writeFileSync(only, without.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const o = await importAll({ paths: [only] })
    expect(o.noOutcome).toBe(6)
    expect(t.backend.ctx.store.runs.metricKeys(o.runId!)).not.toContain('accuracy')
    expect(t.backend.ctx.store.runs.metricKeys(o.runId!).filter((k) => k.startsWith('pass_at'))).toEqual([])
  })
})

describe('import: failed and empty imports leave nothing behind', () => {
  it('an all-bad file: no run, no file hash, every wrong field named; then the right mapping imports it', async () => {
    const file = join(t.dir, 'bad.jsonl')
    writeFileSync(file, [
      JSON.stringify({ prompt: 'a', answer_text: 'A', score: 'high', tokens: 3 }),
      JSON.stringify({ prompt: 'b', answer_text: 'B', score: 1, correct: 'yes', logprobs: 'none' }),
      '{not json'
    ].join('\n') + '\n')
    const msg = await importFails({ paths: [file] })
    expect(msg).toMatch(/nothing imported: no rollout could be read from bad\.jsonl \(skipped 2 missing field, 1 malformed JSON;/)
    expect(msg).toMatch(/bad\.jsonl:1: missing field: missing field "response".*; "score" must be a number or a boolean, got string; "tokens" must be an array of strings, got number/)
    // the right import of the same file is not refused as already imported
    writeFileSync(file, [JSON.stringify({ prompt: 'a', answer_text: 'A', score: 1 }), JSON.stringify({ prompt: 'b', answer_text: 'B', score: 0 })].join('\n') + '\n')
    const s = await importAll({ paths: [file], mapping: { response: 'answer_text' } })
    expect(s).toMatchObject({ rollouts: 2, alreadyImported: null })
    expect(series(s.runId!, 'accuracy').last[0]).toBe(0.5)
  })

  it('names every wrong field of a line that stores nothing else', async () => {
    const file = join(t.dir, 'types.jsonl')
    writeFileSync(file, JSON.stringify({ response: 'ok', score: 'x', correct: 'y', entropies: [1, 'a'], error_type: 3 }) + '\n' + JSON.stringify({ response: 'fine', score: 1 }) + '\n')
    const s = await importAll({ paths: [file] })
    expect(s.rollouts).toBe(1)
    expect(s.bad[0]!.message).toMatch(/^"score" must be a number or a boolean, got string; "correct" must be a boolean \(or 0\/1\), got string; "entropies"\[1\] must be a number, got [^;]*; "error_type" must be a string, got number$/)
  })

  it('an empty or blank file is skipped with a note and not recorded; alone, it is an error', async () => {
    const dir = join(t.dir, 'with-empty')
    mkdirSync(dir)
    writeFileSync(join(dir, 'a.jsonl'), '')
    writeFileSync(join(dir, 'b.jsonl'), '\n  \n')
    writeFileSync(join(dir, 'c.jsonl'), JSON.stringify({ response: 'r', score: 1 }) + '\n')
    const s = await importAll({ paths: [dir] })
    expect(s.rollouts).toBe(1)
    expect(s.notes).toEqual(expect.arrayContaining(['skipped a.jsonl: the file is empty', 'skipped b.jsonl: the file is empty']))
    expect(db().prepare('SELECT path FROM import_files WHERE run_id = ?').pluck().all(s.runId)).toEqual([join(dir, 'c.jsonl')])
    const msg = await importFails({ paths: [join(dir, 'a.jsonl')] })
    expect(msg).toMatch(/nothing to import in .*a\.jsonl: skipped a\.jsonl: the file is empty/)
  })

  it('the token note says there is no token data when no rollout was stored', () => {
    expect(tokenNote(0, 0)).toBe('No token data: no rollout was stored.')
  })
})

describe('import: a step split by a kept field', () => {
  it('split: one run per temperature, each with its own metrics; the parts are separate imports of one file', async () => {
    const recs = [0.6, 1.0, 1.2].flatMap((temp, k) => Array.from({ length: 6 }, (_, i) => ({ prompt_id: `p${i % 2}`, response: answer(i + k, 0), correct: (i + k) % 3 !== 0, temperature: temp })))
    recs.push({ prompt_id: 'p9', response: 'no temperature', correct: true } as (typeof recs)[number])
    const file = join(t.dir, 'temps-split.jsonl')
    writeFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const s = await importAll({ paths: [file], name: 'sweep', split: 'temperature' })
    const all = [s, ...(await Promise.all(s.also!.map((a) => importResult(a.jobId)!)))]
    expect(all.map((x) => t.backend.ctx.store.runs.get(x.runId!)!.name)).toEqual(['sweep · temperature=0.6', 'sweep · temperature=1', 'sweep · temperature=1.2', 'sweep · temperature=none'])
    expect(all.map((x) => x.rollouts)).toEqual([6, 6, 6, 1])
    for (const [i, temp] of [0.6, 1.0, 1.2].entries()) {
      const want = expected(recs.filter((r) => r.temperature === temp).map((r) => ({ ...r, id: r.prompt_id })))
      expect(series(all[i]!.runId!, 'accuracy').last[0]).toBeCloseTo(want.accuracy!, 12)
      expect(series(all[i]!.runId!, 'pass_at_1').last[0]).toBeCloseTo(want.pass_at_1!, 12)
    }
    // split again: each part is already imported (its mapping holds the value)
    const again = await importAll({ paths: [file], name: 'sweep', split: 'temperature' })
    expect(again.alreadyImported).toBe(s.runId)
    const msg = await t.fails('import/start', { paths: [file], sg: SG, split: 'no_such_field' })
    expect(msg.message).toMatch(/--split no_such_field: no rollout has a field "no_such_field"/)
  })
})

describe('import: a verl folder with JSON files beside it', () => {
  it('is still verl: the file that holds no rollouts is left out, the config kept', async () => {
    const dir = join(t.dir, 'verl-json')
    mkdirSync(dir)
    writeFileSync(join(dir, '1.jsonl'), JSON.stringify({ input: 'p', output: 'o', score: 1, step: 1 }) + '\n')
    writeFileSync(join(dir, '2.jsonl'), JSON.stringify({ input: 'p', output: 'o2', score: 0, step: 2 }) + '\n')
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ experiment: 'x', steps: 2 }))
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ lr: 1e-6 }))
    const s = await importAll({ paths: [dir] })
    expect(s).toMatchObject({ format: 'verl', rollouts: 2, steps: 2 })
    expect(s.notes).toEqual(expect.arrayContaining(["kept config.json as the run's config"]))
    expect(s.notes.join('\n')).toMatch(/left out meta\.json: its records hold no rollouts/)
  })
})
