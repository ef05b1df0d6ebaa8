import { afterAll, describe, expect, it, vi } from 'vitest'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evaluateDirs } from '../../src/main/sg/eval'
import { builtinDefaultSet } from '../../src/main/sg/resolve'
import { sgCommand } from '../../src/cli/commands/sg'
import { HELD_OUT_PROBLEMS, LABELLED_MODEL } from '../../scripts/sg/split'
import { tempDir } from '../helpers/tmp'

const fixtures = join(__dirname, '../fixtures/sg/labelled')
const phrases = ['let me think', 'wait let me check', 'we can use the formula']
const tmp = tempDir()
afterAll(() => tmp.cleanup())

/** Runs `hicra sg ...` in process and returns what it printed. */
async function runSg(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')) })
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { lines.push(String(s)); return true })
  try {
    const code = await sgCommand.run(args)
    return { code, out: lines.join('\n') }
  } finally {
    log.mockRestore()
    write.mockRestore()
  }
}

describe('sg eval', () => {
  it('scores sentence chunks: planning tags vs SG occurrences, overall, per tag and per gram', () => {
    const r = evaluateDirs('fixture', phrases, [fixtures])
    expect(r.files).toBe(2)
    // TP: "Let me think about…", "Wait, let me check…", "…we can use the formula…"; FP: "Let me think: …" (fact_retrieval);
    // FN: "Hmm, maybe there is a simpler way."
    expect(r.overall).toEqual({ chunks: 9, positives: 4, predicted: 4, truePositives: 3, precision: 0.75, recall: 0.75, f1: 0.75 })
    expect(r.perTag.plan_generation).toMatchObject({ positives: 3, truePositives: 2, precision: 0.5 })
    expect(r.perTag.plan_generation!.recall).toBeCloseTo(2 / 3, 12)
    expect(r.perTag.fact_retrieval).toMatchObject({ positives: 1, truePositives: 1 })
    expect(r.perTag.active_computation).toMatchObject({ positives: 2, truePositives: 0, recall: 0 })
    expect(r.perGram).toEqual([
      { phrase: 'let me think', chunks: 2, planningChunks: 1 },
      { phrase: 'wait let me check', chunks: 1, planningChunks: 1 },
      { phrase: 'we can use the formula', chunks: 1, planningChunks: 1 }
    ])
  })

  it('names the file and chunk of malformed input, and a folder without labelled files', () => {
    const dir = join(tmp.dir, 'bad', 'problem_9')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'chunks_labeled.json'), JSON.stringify([{ chunk: 'ok then', function_tags: [] }, { chunk: 3, function_tags: [] }]))
    expect(() => evaluateDirs('x', phrases, [join(tmp.dir, 'bad')])).toThrow(/problem_9\/chunks_labeled\.json: chunk 1 has no string "chunk"/)
    mkdirSync(join(tmp.dir, 'empty'))
    expect(() => evaluateDirs('x', phrases, [join(tmp.dir, 'empty')])).toThrow(/no chunks_labeled\.json found/)
  })

  it('hicra sg eval SET DIR --json prints precision, recall and F1 overall and per tag', async () => {
    const file = join(tmp.dir, 'fixture-set.json')
    writeFileSync(file, JSON.stringify({ name: 'fixture', grams: phrases.map((phrase) => ({ phrase, category: 'deduction' })) }))
    const { code, out } = await runSg(['eval', file, fixtures, '--json'])
    expect(code).toBe(0)
    const json = JSON.parse(out)
    expect(json.overall).toMatchObject({ precision: 0.75, recall: 0.75, f1: 0.75 })
    expect(Object.keys(json.perTag)).toContain('self_checking')
    expect(json.perGram).toBeUndefined()
    const table = await runSg(['eval', file, fixtures])
    expect(table.out).toMatch(/planning \(overall\)\s+4\s+4\s+3\s+0\.750\s+0\.750\s+0\.750/)
  })

  it('hicra sg export default prints the built-in set as SPEC-shaped JSON', async () => {
    const db = join(tmp.dir, 'w.db')
    const { code, out } = await runSg(['export', 'default', '--db', db])
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(builtinDefaultSet())))
    const outFile = join(tmp.dir, 'd.json')
    await runSg(['export', 'default', '--db', db, '--out', outFile])
    const imp = await runSg(['import', outFile, '--db', db, '--name', 'copy of default'])
    expect(imp.out).toMatch(/imported \d+ grams as 'copy of default' version 1/)
    const list = await runSg(['list', '--db', db, '--json'])
    expect(JSON.parse(list.out)).toMatchObject([{ name: 'copy of default', headVersion: 1 }])
    expect(JSON.parse(readFileSync(outFile, 'utf8')).grams.length).toBe(builtinDefaultSet().grams.length)
  })
})

// The real labelled traces live outside the repo; this check runs only where they exist.
const real = join(__dirname, '../../../shared/data/real/thought_anchors_r1distill_math', LABELLED_MODEL)
describe.skipIf(!existsSync(real))('default set on held-out labelled R1-distill traces', () => {
  it('reaches F1 ≥ 0.6 with precision ≥ 0.75 on problems it was not built from', () => {
    const dirs = ['correct_base_solution', 'incorrect_base_solution'].flatMap((f) => HELD_OUT_PROBLEMS.map((p) => join(real, f, `problem_${p}`)))
    const r = evaluateDirs('default', builtinDefaultSet().grams.map((g) => g.phrase), dirs)
    expect(r.files).toBe(10)
    expect(r.overall.precision!).toBeGreaterThanOrEqual(0.75)
    expect(r.overall.f1!).toBeGreaterThanOrEqual(0.6)
  })
})
