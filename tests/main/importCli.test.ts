import { afterAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { createBackend } from '../../src/main/backend'
import { analyzeFiles } from '../../src/main/import/analyze'
import { parseSgSetJson } from '../../src/core'
import { genVerlDump } from '../helpers/genVerl'
import { tempDir } from '../helpers/tmp'

const root = resolve(__dirname, '..', '..')
const bin = join(root, 'bin', 'hicra.mjs')
const FIX = join(root, 'tests', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const tmp = tempDir('hicra-import-cli-')
afterAll(() => tmp.cleanup())
const run = promisify(execFile)
const hicra = (...args: string[]) => run(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 64 << 20 })

/** Starts `hicra import` and resolves once it has committed some rollouts (polling the database). */
async function importUntilRows(dump: string, db: string): Promise<{ child: ChildProcess; seen: number }> {
  const child = spawn(process.execPath, [bin, 'import', dump, '--db', db, '--sg', SG], { cwd: root, stdio: 'ignore' })
  let seen = 0
  for (let i = 0; i < 600 && seen === 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    if (!existsSync(db)) continue
    try {
      const d = new Database(db, { readonly: true, fileMustExist: true })
      try {
        seen = d.prepare('SELECT count(*) FROM rollouts').pluck().get() as number
      } finally {
        d.close()
      }
    } catch {
      // the schema is not there yet
    }
  }
  return { child, seen }
}

describe('hicra import interrupted mid-way', () => {
  const dump = join(tmp.dir, 'dump')
  const good = genVerlDump(dump, { steps: 6, perStep: 6000, words: 200, badLines: 2 })

  it('Ctrl-C cancels: exit 130 and the workspace as it was', async () => {
    const db = join(tmp.dir, 'cancel.db')
    const { child, seen } = await importUntilRows(dump, db)
    expect(seen).toBeGreaterThan(0)
    child.kill('SIGINT')
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(130)
    const d = new Database(db, { readonly: true })
    try {
      expect(d.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0)
      expect(d.prepare('SELECT count(*) FROM rollouts').pluck().get()).toBe(0)
      expect(d.prepare("SELECT status FROM jobs WHERE kind = 'import'").pluck().all()).toEqual(['cancelled'])
    } finally {
      d.close()
    }
  })

  it('killed: a consistent database, and a retry imports cleanly with no duplicates', async () => {
    const db = join(tmp.dir, 'kill.db')
    // Kill it once some rollouts are committed but before the import finishes.
    const { child, seen } = await importUntilRows(dump, db)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(seen).toBeGreaterThan(0)
    expect(seen).toBeLessThan(good)

    // Opening the workspace marks the dead import interrupted; the data is intact SQLite.
    const b = createBackend(db, { transport: 'cli' })
    try {
      expect(b.ctx.store.db.pragma('integrity_check', { simple: true })).toBe('ok')
      const runs = b.ctx.store.runs.list()
      expect(runs).toHaveLength(1)
      expect(runs[0]!.status).toBe('interrupted')
      expect(b.ctx.store.runs.metricKeys(runs[0]!.id)).toEqual([])
    } finally {
      b.close()
    }

    const { stdout } = await hicra('import', dump, '--db', db, '--sg', SG)
    expect(stdout).toMatch(new RegExp(`imported ${good.toLocaleString('en-US')} rollouts over 6 steps`))
    expect(stdout).toMatch(/No token data: length counts words/)
    expect(stdout).toMatch(/skipped 12 lines \(12 malformed JSON\)/)
    const d = new Database(db, { readonly: true })
    try {
      expect(d.prepare('SELECT status FROM runs').pluck().all()).toEqual(['imported'])
      expect(d.prepare('SELECT count(*) FROM rollouts').pluck().get()).toBe(good)
      expect(d.prepare('SELECT count(*) FROM import_files').pluck().get()).toBe(6)
      expect(d.prepare('SELECT count(DISTINCT step) FROM metrics').pluck().get()).toBe(6)
    } finally {
      d.close()
    }
  })
})

describe('hicra analyze and export', () => {
  it('analyze --json prints the same numbers as the analysis in process (the core)', async () => {
    const { stdout, stderr } = await hicra('analyze', join(FIX, 'verl'), '--sg', SG, '--json')
    const out = JSON.parse(stdout) as { steps: Record<string, number>[] }
    const phrases = parseSgSetJson(readFileSync(SG, 'utf8')).grams.map((g) => g.phrase)
    const inProcess = await analyzeFiles({ paths: [join(FIX, 'verl')], phrases })
    expect(out.steps).toEqual(inProcess.steps)
    expect(out.steps.map((s) => s.step)).toEqual([1, 2])
    expect(Object.keys(out.steps[0]!)).toEqual(expect.arrayContaining(['rollouts', 'accuracy', 'length', 'planning_ratio', 'semantic_entropy', 'conditional_entropy', 'pass_at_1']))
    expect(out.steps[0]!.token_entropy).toBeUndefined()
    expect(stderr).toMatch(/1\.jsonl:3: malformed JSON/)
    expect(stderr).toMatch(/No token data: length counts words/)
  })

  it('export writes every step as CSV and JSONL; bad command lines are usage errors', async () => {
    const db = join(tmp.dir, 'export.db')
    await hicra('import', join(FIX, 'checkpoints'), '--db', db, '--sg', SG, '--name', 'ckpt')
    const csv = (await hicra('export', 'ckpt', '--db', db, '--format', 'csv')).stdout.trim().split('\n')
    expect(csv[0]!.split(',')[0]).toBe('step')
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '100', '101'])
    const out = join(tmp.dir, 'm.jsonl')
    await hicra('export', '1', '--db', db, '--format', 'jsonl', '--out', out)
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>)
    expect(rows.map((r) => r.step)).toEqual([0, 100, 101])
    expect(rows[0]!.rollouts).toBe(12)
    await expect(hicra('export', '1', '--db', db, '--format', 'xml')).rejects.toMatchObject({ code: 2 })
    await expect(hicra('import', join(FIX, 'verl'), '--db', db, '--map', 'nonsense')).rejects.toMatchObject({ code: 2 })
  })

  it('a reader that closes the pipe early (| head) ends the command quietly', async () => {
    const child = spawn(process.execPath, [bin, 'analyze', join(FIX, 'verl'), '--sg', SG, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    // Closed before the first write: that write fails with EPIPE whatever its size.
    child.stdout!.destroy()
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)))
    expect(stderr).not.toMatch(/EPIPE|Unhandled/)
    expect(code).toBe(0)
  })
})

describe('hicra itself', () => {
  it('--help lists every command; an unknown one is a usage error that lists them too', async () => {
    const { stdout } = await hicra('--help')
    for (const name of ['serve', 'runs', 'import', 'analyze', 'export', 'sg', 'errors', 'train']) expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'))
    const bad = await hicra('nonsense').catch((e: { code: number; stderr: string }) => e)
    expect(bad).toMatchObject({ code: 2 })
    expect((bad as { stderr: string }).stderr).toMatch(/unknown command 'nonsense'[\s\S]*  analyze +SPEC metrics/)
  })
})
