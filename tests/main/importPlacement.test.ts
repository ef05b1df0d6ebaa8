import { describe, expect, it } from 'vitest'
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, utimesSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { importResult, type ImportSummary } from '../../src/main/import/importer'
import { testBackend } from '../helpers/backend'

// Where an import puts a checkpoint without a step in its name (final.jsonl), and the wall times
// its steps get: the checkpoint files' modification times where they can stand in, else none (and
// the run page turns its time axes off, saying why).
const FIX = resolve(__dirname, '..', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const t = testBackend('p.db', 'hicra-placement-')
const { ok, fails } = t

async function importAll(req: Record<string, unknown>): Promise<ImportSummary> {
  const { jobId } = await ok<{ jobId: number; runId: number }>('import/start', req)
  return (await importResult(jobId))!
}

/**
 * A copy of the checkpoint fixture with chosen file times (s since the epoch) per file name prefix;
 * `variant` blank lines at the end make its content new to the workspace (imports skip known files).
 */
function checkpoints(name: string, times: Record<string, number>, variant = 0): string {
  const dir = join(t.dir, name)
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(join(FIX, 'checkpoints'))) {
    copyFileSync(join(FIX, 'checkpoints', f), join(dir, f))
    if (variant > 0 && f.endsWith('.jsonl')) appendFileSync(join(dir, f), '\n'.repeat(variant))
    const key = Object.keys(times).find((k) => f.startsWith(k))
    if (key) utimesSync(join(dir, f), times[key]!, times[key]!)
  }
  return dir
}

const T0 = 1_750_000_000
const stepWalls = (runId: number) => t.backend.ctx.store.db.prepare('SELECT step, wall_time AS wall FROM run_steps WHERE run_id = ? ORDER BY step').all(runId)

describe('import: checkpoints without a number, and the steps\' times', () => {
  it('places final.jsonl where asked, says so, and takes each step\'s time from its file', async () => {
    const dir = checkpoints('timed', { step0000: T0, step0100: T0 + 600, final: T0 + 900 })
    const s = await importAll({ paths: [dir], sg: SG, finalStep: 200 })
    const notes = s.notes.join('\n')
    expect(notes).toMatch(/final_main_rl_raw\.jsonl has no step in its name: placed at step 200, as asked/)
    expect(notes).toMatch(/wall times: each step's file modification time \(3 files, 15 min from first to last\)/)
    expect(stepWalls(s.runId!)).toEqual([{ step: 0, wall: T0 * 1000 }, { step: 100, wall: (T0 + 600) * 1000 }, { step: 200, wall: (T0 + 900) * 1000 }])
    const run = await ok<{ timeNote: string | null }>('runs/get', { id: s.runId })
    expect(run.timeNote).toBeNull()
    // The preview says the same placement before anything is imported.
    const p = await ok<{ notes: string[]; files: { stepHint: number | null }[] }>('import/preview', { paths: [dir], finalStep: 500 })
    expect(p.notes.join('\n')).toMatch(/placed at step 500, as asked/)
  })

  it('by default places it right after the last checkpoint and names the option; files of one time give no time axes', async () => {
    const dir = checkpoints('copied', { step0000: T0, step0100: T0, final: T0 }, 1)
    const s = await importAll({ paths: [dir], sg: SG, name: 'copied' })
    const notes = s.notes.join('\n')
    expect(notes).toMatch(/placed right after the last checkpoint \(step 100\), at step 101; set another step for unnumbered checkpoints with --final-step/)
    expect(notes).toMatch(/written within one second .*relative and wall time are off/)
    const walls = stepWalls(s.runId!) as { step: number; wall: number }[]
    expect(walls.map((w) => w.step)).toEqual([0, 100, 101])
    expect(new Set(walls.map((w) => w.wall)).size).toBe(1)
    const run = await ok<{ timeNote: string | null }>('runs/get', { id: s.runId })
    expect(run.timeNote).toMatch(/all carry the time they were imported/)
  })

  it('refuses a step a numbered checkpoint already holds, naming it', async () => {
    const dir = checkpoints('clash', {}, 2)
    const e = await fails('import/start', { paths: [dir], sg: SG, finalStep: 100 })
    expect(e.code).toBe('invalid_argument')
    expect(e.message).toMatch(/final_main_rl_raw\.jsonl has no step in its name and was to go at step 100, which checkpoint step0100_rl_raw\.jsonl already holds/)
  })
})
