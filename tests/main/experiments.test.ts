import { afterAll, describe, expect, it } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { expandGrid, parseSpec, parseSpecText, SpecError } from '../../src/main/experiments/spec'
import { jsonErrorOffset } from '../../src/main/experiments/jsonError'
import { presetList } from '../../src/main/experiments/presets'
import { createBackend } from '../../src/main/backend'
import { mergeExperiments } from '../../src/main/experiments/data'
import { reportData } from '../../src/main/experiments/report'
import { statsOf } from '../../src/main/experiments/stats'
import { meanInterval, pairedDifference } from '../../src/core/stats'
import { tempDir } from '../helpers/tmp'

const root = resolve(__dirname, '..', '..')
const bin = join(root, 'bin', 'hicra.mjs')
const tmp = tempDir('hicra-experiments-')
afterAll(() => tmp.cleanup())
const exec = promisify(execFile)

describe('grid expansion', () => {
  const spec = parseSpec({
    name: 'g',
    base: { task: 'route', steps: 3, warmup: { steps: 5 } },
    arms: [{ name: 'grpo', config: { algo: 'grpo' } }, { name: 'hicra', config: { algo: 'hicra' } }],
    grid: { alpha: [0.1, 0.4], 'warmup.executionErrorRate': [0.05, 0.3] },
    seeds: [3, 7]
  })

  it('crosses arms, every grid axis and seeds, seed-major, with the engine config of each cell', () => {
    const cells = expandGrid(spec)
    expect(cells).toHaveLength(2 * 2 * 2 * 2)
    expect(cells.map((c) => c.idx)).toEqual([...Array(16).keys()])
    expect(cells.slice(0, 8).every((c) => c.seed === 3)).toBe(true)
    expect(cells[0]).toMatchObject({ arm: 'grpo alpha=0.1 warmup.executionErrorRate=0.05', seed: 3 })
    expect(cells[7]!.arm).toBe('hicra alpha=0.4 warmup.executionErrorRate=0.3')
    const c = cells[7]!.config
    expect(c).toMatchObject({ algo: 'hicra', alpha: 0.4, seed: 3, steps: 3, task: 'route' })
    // A dotted key sets the nested value and keeps the base's other warm-up settings.
    expect(c.warmup).toMatchObject({ steps: 5, executionErrorRate: 0.3, strategyErrorRate: 0.35 })
    expect(new Set(cells.map((x) => `${x.arm}|${x.seed}`)).size).toBe(16)
  })

  it('without arms the grid cells are the arms; one seed list applies to all', () => {
    const cells = expandGrid(parseSpec({ name: 'a', grid: { algo: ['grpo', 'hicra'], task: ['route', 'countdown'] }, seeds: [1] }))
    expect(cells.map((c) => c.arm)).toEqual(['algo=grpo task=route', 'algo=grpo task=countdown', 'algo=hicra task=route', 'algo=hicra task=countdown'])
    expect(cells[1]!.config.task).toBe('countdown')
  })

  it('bad specs name the problem', () => {
    expect(() => parseSpec({ name: 'x', seeds: [1, 1] })).toThrow(/seeds: must not repeat a seed/)
    expect(() => parseSpec({ name: 'x', seeds: [1], grid: { seed: [1, 2] } })).toThrow(/grid.seed/)
    expect(() => parseSpec({ name: 'x', seeds: [] })).toThrow(/seeds/)
    expect(() => expandGrid(parseSpec({ name: 'x', seeds: [1], arms: [{ name: 'a', config: { alpah: 0.2 } }] }))).toThrow(/arm 'a'.*alpah/)
    expect(() => expandGrid(parseSpec({ name: 'x', seeds: [1], grid: { alpha: [2] } }))).toThrow(/alpha=2.*alpha/)
    expect(() => expandGrid(parseSpec({ name: 'x', seeds: [1], baseline: 'grpo' }))).toThrow(/baseline 'grpo' is not an arm/)
    expect(() => parseSpecText('{\n  "name": "x",\n  "seeds": [1,]\n}', 'e.json')).toThrow(/e\.json:3:\d+: not valid JSON/)
    expect(() => parseSpecText('{"name": "x"}', 'e.json')).toThrow(SpecError)
    // The locator behind the line numbers, where JSON.parse gives no position.
    expect(jsonErrorOffset('{"a": [1,]}')).toBe(9)
    expect(jsonErrorOffset('{"a" 1}')).toBe(5)
    expect(jsonErrorOffset('{"a": "x\\u12"}')).toBeGreaterThan(0)
    expect(jsonErrorOffset('{"a": [1, 2.5e3, true, null, {"b": "\\n"}]} ')).toBe(-1)
    expect(jsonErrorOffset('[1] 2')).toBe(4)
  })

  it('the presets are valid grids; paper-mini has ≥ 5 seeds of four arms with the same budget', () => {
    const presets = presetList()
    expect(presets.map((p) => p.name)).toEqual(expect.arrayContaining(['smoke', 'paper-mini', 'alpha-sweep']))
    const mini = presets.find((p) => p.name === 'paper-mini')!
    expect(mini.seeds.length).toBeGreaterThanOrEqual(5)
    expect(mini.arms).toHaveLength(4)
    const smoke = presets.find((p) => p.name === 'smoke')!
    expect(smoke.runs).toBe(4)
  })
})

/** A tiny grid: 2 arms × 2 seeds × 6 steps, checkpoints every 2 steps, one run at a time. */
const TINY = {
  name: 'tiny',
  base: {
    task: 'route', steps: 6, backend: 'wasm', checkpointEvery: 2,
    model: { layers: 1, dModel: 16, heads: 2, context: 80, ffMult: 2 }, warmup: { steps: 2, batchSize: 4 },
    batchPrompts: 2, groupSize: 2, eval: { every: 2, problems: 2, samples: 2, passK: 2 }
  },
  arms: [{ name: 'grpo', config: { algo: 'grpo' } }, { name: 'hicra', config: { algo: 'hicra' } }],
  seeds: [1, 2]
}

function readDb<T>(db: string, fn: (d: Database.Database) => T): T {
  const d = new Database(db, { readonly: true, fileMustExist: true })
  try {
    return fn(d)
  } finally {
    d.close()
  }
}

describe('hicra experiment run', () => {
  const specFile = join(tmp.dir, 'tiny.json')
  const db = join(tmp.dir, 'w.db')
  writeFileSync(specFile, JSON.stringify(TINY))

  it('resumes after its process is killed: no run twice, finished runs untouched, the killed run from its checkpoint', async () => {
    const child = spawn(process.execPath, [bin, 'experiment', 'run', specFile, '--db', db, '--workers', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    // Kill it (no chance to stop cleanly) once the first run finished and the second stored a checkpointed step.
    const deadline = Date.now() + 240_000
    let finishedBefore: { id: number; updated_at: number; points: number }[] = []
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the first run did not finish in time:\n${err}`)
      if (child.exitCode !== null) throw new Error(`the experiment ended before it was killed:\n${err}`)
      await new Promise((r) => setTimeout(r, 150))
      if (!existsSync(db)) continue
      const state = readDb(db, (d) => {
        try {
          return d.prepare(`SELECT r.id, r.status, r.updated_at, (SELECT max(step) FROM run_steps s WHERE s.run_id = r.id) AS last,
            (SELECT count(*) FROM metrics m WHERE m.run_id = r.id) AS points FROM runs r ORDER BY r.id`).all() as
            { id: number; status: string; updated_at: number; last: number | null; points: number }[]
        } catch {
          return []
        }
      })
      if (state.length >= 2 && state[0]!.status === 'completed' && (state[1]!.last ?? 0) >= 3 && state[1]!.status === 'running') {
        child.kill('SIGKILL')
        finishedBefore = state.filter((s) => s.status === 'completed').map(({ id, updated_at, points }) => ({ id, updated_at, points }))
        break
      }
    }
    await new Promise((r) => child.once('exit', r))
    expect(finishedBefore.length).toBeGreaterThanOrEqual(1)

    const { stdout, stderr } = await exec(process.execPath, [bin, 'experiment', 'run', specFile, '--db', db, '--workers', '2', '--json'],
      { cwd: root, maxBuffer: 64 << 20 })
    expect(stderr).toMatch(/experiment 1 \(continued\), 4 runs, \d to do/)
    const last = JSON.parse(stdout.trim().split('\n').pop()!) as { experimentId: number; status: string; completed: number }
    expect(last).toMatchObject({ experimentId: 1, status: 'completed', completed: 4 })

    readDb(db, (d) => {
      const runs = d.prepare('SELECT id, status, updated_at, source FROM runs ORDER BY id').all() as { id: number; status: string; updated_at: number; source: string }[]
      expect(runs).toHaveLength(4)
      expect(runs.every((r) => r.status === 'completed')).toBe(true)
      const cells = d.prepare('SELECT idx, run_id FROM experiment_runs WHERE experiment_id = 1 ORDER BY idx').all() as { idx: number; run_id: number }[]
      expect(new Set(cells.map((c) => c.run_id)).size).toBe(4)
      for (const f of finishedBefore) {
        const now = d.prepare('SELECT updated_at, (SELECT count(*) FROM metrics m WHERE m.run_id = r.id) AS points FROM runs r WHERE id = ?').get(f.id) as { updated_at: number; points: number }
        expect(now).toEqual({ updated_at: f.updated_at, points: f.points })
      }
      // Every run has each of its 6 steps exactly once, including the one that was killed and resumed.
      for (const r of runs) {
        const steps = (d.prepare('SELECT step FROM run_steps WHERE run_id = ? ORDER BY step').all(r.id) as { step: number }[]).map((s) => s.step)
        expect(steps).toEqual([1, 2, 3, 4, 5, 6])
      }
    })

    // Running it again starts nothing.
    const again = await exec(process.execPath, [bin, 'experiment', 'run', specFile, '--db', db, '--json'], { cwd: root })
    expect(again.stderr).toMatch(/0 to do, nothing left to run/)
    const list = await exec(process.execPath, [bin, 'experiment', 'list', '--db', db, '--json'], { cwd: root })
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: 1, name: 'tiny', status: 'completed', runs: 4, completedRuns: 4, arms: ['grpo', 'hicra'] }])
  }, 420_000)

  it('report: markdown with intervals computed from the stored metrics, and SVG figures', async () => {
    const out = join(tmp.dir, 'report')
    const { stdout } = await exec(process.execPath, [bin, 'experiment', 'report', '1', '--db', db, '--out', out], { cwd: root })
    expect(stdout).toMatch(/wrote .*report\.md and \d+ figures/)
    const md = readFileSync(join(out, 'report.md'), 'utf8')
    expect(md).toMatch(/^# Experiment 1: tiny/)
    expect(md).toMatch(/Student-t/)
    const svg = readFileSync(join(out, 'test-pass-at-1.svg'), 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('hicra')
    for (const f of ['fig2-relperp-execution.svg', 'fig2-entropy-planning.svg', 'fig2-semantic-entropy.svg', 'fig2-accuracy.svg', 'fig3-error-planning.svg', 'fig8-high-entropy-planning-share.svg']) {
      expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/)
      expect(md).toContain(`](${f})`)
    }
    // The Table 1 row of hicra, recomputed here from the runs' last test Pass@1.
    const backend = createBackend(db, { transport: 'cli' })
    try {
      const cells = backend.ctx.store.experiments.cells(1)
      const final = (runId: number) => {
        const s = backend.ctx.store.metrics.series({ runId, key: 'test_pass_at_1', maxPoints: 1000 })
        return s.last[s.last.length - 1]!
      }
      const of = (arm: string) => new Map(cells.filter((c) => c.arm === arm).map((c) => [String(c.seed), final(c.runId!)]))
      const hicra = meanInterval([...of('hicra').values()])
      const delta = pairedDifference(of('hicra'), of('grpo'))
      const res = await backend.invoke('experiments/stats', { id: 1 })
      if (!res.ok) throw new Error(res.error.message)
      const stats = res.value as { baseline: string; arms: { arm: string; finalTestPass1: { mean: number }; deltaVsBaseline: { mean: number; seeds: number[] } }[] }
      expect(stats.baseline).toBe('grpo')
      const row = stats.arms.find((a) => a.arm === 'hicra')!
      expect(row.finalTestPass1.mean).toBeCloseTo(hicra.mean, 12)
      expect(row.deltaVsBaseline.mean).toBeCloseTo(delta.mean, 12)
      expect(row.deltaVsBaseline.seeds).toEqual([1, 2])
      expect(md).toContain(`| \`hicra\` | 2/2 | ${hicra.mean.toFixed(3)}`)
    } finally {
      backend.close()
    }
  })

  it('report of several experiments: arms run apart are paired by seed when they share base policies, else refused', async () => {
    const backend = createBackend(db, { transport: 'cli' })
    try {
      const whole = reportData(backend.ctx, 1)
      // Experiment 1 split into two, as if its arms had been run as two grids, then read as one again.
      const part = (arm: string, id: number) => ({ ...whole, experiment: { ...whole.experiment, id }, arms: whole.arms.filter((a) => a.arm === arm),
        sources: [{ id, name: whole.experiment.name, arms: [arm] }] })
      const merged = mergeExperiments([part('grpo', 1), part('hicra', 2)])
      expect(merged.arms.map((a) => a.arm)).toEqual(['grpo', 'hicra'])
      expect(merged.baseline).toBe('grpo')
      expect(statsOf(merged).arms.map((a) => a.deltaVsBaseline)).toEqual(statsOf(whole).arms.map((a) => a.deltaVsBaseline))
      // Another base policy for seed 1 in the second experiment: no pairing across them.
      const other = part('hicra', 2)
      other.arms = other.arms.map((a) => ({ ...a, cells: a.cells.map((c) => ({ ...c, config: { ...c.config, warmup: { ...c.config.warmup, steps: c.config.warmup.steps + 1 } } })) }))
      expect(() => mergeExperiments([part('grpo', 1), other])).toThrow(/experiments 1 and 2 start seed \d from different base policies/)
    } finally {
      backend.close()
    }
    const out = join(tmp.dir, 'report-merged')
    await exec(process.execPath, [bin, 'experiment', 'report', '1', '1', '--db', db, '--out', out], { cwd: root })
    const md = readFileSync(join(out, 'report.md'), 'utf8')
    expect(md).toMatch(/^# Experiments 1 \+ 1: tiny \+ tiny/)
    expect(md).toContain('| `#1 hicra` | 2/2 |')
    await expect(exec(process.execPath, [bin, 'experiment', 'report', '1', '9', '--db', db, '--out', out], { cwd: root })).rejects.toMatchObject({ stderr: expect.stringMatching(/experiment 9 does not exist/) })
    // --arms keeps only the named arms (the baseline with them); an unknown name is refused, naming the arms there are.
    await exec(process.execPath, [bin, 'experiment', 'report', '1', '1', '--arms', 'grpo,#1 hicra', '--db', db, '--out', out], { cwd: root })
    const only = readFileSync(join(out, 'report.md'), 'utf8')
    expect(only).toContain('| `#1 hicra` | 2/2 |')
    expect(only).not.toContain('| `hicra` | 2/2 |')
    expect(only).toMatch(/Baseline of the Δ columns: `grpo`/)
    await expect(exec(process.execPath, [bin, 'experiment', 'report', '1', '--arms', 'grpo,nope', '--db', db, '--out', out], { cwd: root }))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/no arm 'nope' in this report \(arms: 'grpo', 'hicra'\)/) })
  })

  it('bad input: unknown preset or file, a bad spec file names its line', async () => {
    await expect(exec(process.execPath, [bin, 'experiment', 'run', 'no-such-preset', '--db', db], { cwd: root })).rejects.toMatchObject({ code: 2 })
    const bad = join(tmp.dir, 'bad.json')
    writeFileSync(bad, '{\n "name": "b",\n "seeds": [1]\n "arms": []\n}')
    const r = await exec(process.execPath, [bin, 'experiment', 'run', bad, '--db', db], { cwd: root }).catch((e: { code: number; stderr: string }) => e)
    expect(r).toMatchObject({ code: 1 })
    expect((r as { stderr: string }).stderr).toMatch(/bad\.json:4:\d+: not valid JSON/)
    await expect(exec(process.execPath, [bin, 'experiment', 'report', '99', '--db', db, '--out', join(tmp.dir, 'x')], { cwd: root })).rejects.toMatchObject({ code: 1 })
  })
})
