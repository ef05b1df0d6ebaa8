import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createBackend } from '../../src/main/backend'
import { importResult } from '../../src/main/import/importer'
import { tempDir } from '../helpers/tmp'

// Real third-party traces in ../shared (never copied into the repository); skipped without them.
const REAL = resolve(__dirname, '..', '..', '..', 'shared', 'data', 'real')
const CKPT = join(REAL, 'qwen25_1p5b_ppo_gsm8k_checkpoints')
const MATH = join(REAL, 'qwen25_math_instruct_maj8_math100.jsonl')
const has = existsSync(CKPT) && existsSync(MATH)
const ANCHORS = join(REAL, 'thought_anchors_r1distill_math', 'deepseek-r1-distill-llama-8b')
if (!existsSync(REAL)) console.log(`importReal: ${REAL} is absent; the checks on real runs are skipped`)

describe.skipIf(!has)('import of the real runs in ../shared/data/real', () => {
  const tmp = tempDir('hicra-real-')
  const b = createBackend(join(tmp.dir, 'real.db'), { transport: 'cli' })
  afterAll(() => {
    b.close()
    tmp.cleanup()
  })
  const start = async (paths: string[]) => {
    const r = await b.invoke('import/start', { paths })
    if (!r.ok) throw new Error(r.error.message)
    return importResult((r.value as { jobId: number }).jobId)!
  }
  const series = (runId: number, key: string) => b.ctx.store.metrics.series({ runId, key, maxPoints: 100 })

  it('PPO checkpoints: six checkpoints, 240 rollouts each, curves that match the authors\' summaries', async () => {
    const s = await start([CKPT])
    expect(s).toMatchObject({ format: 'checkpoints', rollouts: 1440, steps: 6, skippedLines: 0 })
    const acc = series(s.runId!, 'accuracy')
    expect(acc.step).toEqual([0, 100, 300, 500, 1000, 1001])
    // the authors' stepNNNN_summary.json: sample accuracy and pass@8 of the SFT start and each RL
    // checkpoint (final_main_summary.json describes another evaluation batch, so it is left out)
    for (const [file, i] of [['step0100_summary.json', 1], ['step0300_summary.json', 2], ['step0500_summary.json', 3], ['step1000_summary.json', 4]] as const) {
      const m = JSON.parse(readFileSync(join(CKPT, file), 'utf8')).metrics
      expect(acc.last[i]).toBeCloseTo(m.rl_sample_accuracy, 12)
      expect(series(s.runId!, 'pass_at_8').last[i]).toBeCloseTo(m.rl_pass_at_k, 12)
      expect(acc.last[0]).toBeCloseTo(m.sft_sample_accuracy, 12)
    }
    for (const k of ['length', 'planning_ratio', 'semantic_entropy', 'conditional_entropy', 'pass_at_1']) expect(series(s.runId!, k).total).toBe(6)
    // the JSON files beside the checkpoints: run configs kept as the run's config, summaries left out by name
    const configs = readdirSync(CKPT).filter((f) => f.endsWith('_run_config.json'))
    const config = b.ctx.store.runs.detail(s.runId!)!.config as { runConfig: Record<string, unknown> }
    expect(Object.keys(config.runConfig).sort()).toEqual(configs.sort())
    expect(config.runConfig['step0100_run_config.json']).toEqual(JSON.parse(readFileSync(join(CKPT, 'step0100_run_config.json'), 'utf8')))
    for (const f of readdirSync(CKPT).filter((x) => x.endsWith('_summary.json'))) expect(s.notes.join('\n')).toContain(`left out ${f}: its records hold no rollouts`)
  })

  it('MATH maj@8 evaluation: parallel response lists flattened, 800 rollouts at one step', async () => {
    const s = await start([MATH])
    expect(s).toMatchObject({ format: 'jsonl', rollouts: 800, steps: 1, skippedLines: 0 })
    expect(s.mapping.record).toMatchObject({ response: 'response', score: 'score', prompt_id: 'idx', gold: 'gt', answer: 'pred' })
    const acc = series(s.runId!, 'accuracy').last[0]!
    const lines = readFileSync(MATH, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { score: boolean[] })
    const correct = lines.reduce((n, l) => n + l.score.filter(Boolean).length, 0)
    expect(acc).toBeCloseTo(correct / 800, 12)
    expect(b.ctx.store.runs.metricKeys(s.runId!)).toEqual(expect.arrayContaining(['planning_ratio', 'semantic_entropy', 'pass_at_8']))
  })
})

// The shared generator's dump with malformed lines mixed in (skipped without ../shared).
const GEN = resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'gen_verl_dump.py')
describe.skipIf(!existsSync(GEN))('import of a gen_verl_dump.py dump with --bad-lines 3', () => {
  it('imports every good line and lists the 3 bad lines of each file with file:line', async () => {
    const tmp = tempDir('hicra-gen-')
    const b = createBackend(join(tmp.dir, 'gen.db'), { transport: 'cli' })
    try {
      const dir = join(tmp.dir, 'dump')
      execFileSync('python3', [GEN, dir, '--steps', '3', '--per-step', '200', '--words', '60', '--bad-lines', '3'])
      const r = await b.invoke('import/start', { paths: [dir], sg: join(__dirname, '..', 'fixtures', 'import', 'sg.json') })
      if (!r.ok) throw new Error(r.error.message)
      const s = await importResult((r.value as { jobId: number }).jobId)!
      expect(s).toMatchObject({ format: 'verl', rollouts: 3 * 197, steps: 3, skippedLines: 9, skippedByKind: { 'malformed JSON': 9 } })
      expect(s.bad.map((x) => x.file)).toEqual(['1.jsonl', '1.jsonl', '1.jsonl', '2.jsonl', '2.jsonl', '2.jsonl', '3.jsonl', '3.jsonl', '3.jsonl'])
      const bad1 = readFileSync(join(dir, '1.jsonl'), 'utf8').split('\n')
      for (const x of s.bad.filter((y) => y.file === '1.jsonl')) expect(() => JSON.parse(bad1[x.line - 1]!)).toThrow()
      expect(b.ctx.store.metrics.series({ runId: s.runId!, key: 'accuracy', maxPoints: 10 }).total).toBe(3)
    } finally {
      b.close()
      tmp.cleanup()
    }
  })
})

// One JSON record per problem folder (base_solution.json), beside files that hold no rollouts.
describe.skipIf(!existsSync(ANCHORS))('import of the thought-anchors solutions in ../shared/data/real', () => {
  it('reads one record per base_solution.json, leaves out the chunk, problem and summary files, accuracy from is_correct', async () => {
    const tmp = tempDir('hicra-anchors-')
    const b = createBackend(join(tmp.dir, 'anchors.db'), { transport: 'cli' })
    try {
      const dirs = ['correct_base_solution', 'incorrect_base_solution'].map((d) => join(ANCHORS, d))
      const r = await b.invoke('import/start', { paths: dirs, mapping: { response: 'solution' } })
      if (!r.ok) throw new Error(r.error.message)
      const s = await importResult((r.value as { jobId: number }).jobId)!
      const sols = dirs.flatMap((d) => readdirSync(d).map((p) => JSON.parse(readFileSync(join(d, p, 'base_solution.json'), 'utf8')) as { is_correct: boolean }))
      expect(s).toMatchObject({ format: 'jsonl', layout: 'one JSON record', rollouts: sols.length, skippedLines: 0 })
      expect(b.ctx.store.metrics.series({ runId: s.runId!, key: 'accuracy', maxPoints: 10 }).last[0]).toBeCloseTo(sols.filter((x) => x.is_correct).length / sols.length, 12)
      expect(s.notes.filter((n) => /left out problem_\d+\/(chunks_labeled|problem|summary)\.json/.test(n)).length).toBeGreaterThanOrEqual(sols.length * 3)
    } finally {
      b.close()
      tmp.cleanup()
    }
  })
})
