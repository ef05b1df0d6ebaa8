import { afterAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { tempDir } from '../helpers/tmp'

// Exit codes and messages of hicra import / analyze for the shapes of issue #15, and negative
// numbers given to numeric options.
const root = resolve(__dirname, '..', '..')
const bin = join(root, 'bin', 'hicra.mjs')
const SG = join(root, 'tests', 'fixtures', 'import', 'sg.json')
const tmp = tempDir('hicra-shapes-cli-')
afterAll(() => tmp.cleanup())
const run = promisify(execFile)
type Out = { code: number; stdout: string; stderr: string }
const hicra = (...args: string[]): Promise<Out> =>
  run(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 16 << 20 }).then((r) => ({ code: 0, ...r }), (e: Out) => e)
const rows = (db: string, sql: string) => {
  const d = new Database(db, { readonly: true })
  try {
    return d.prepare(sql).pluck().get()
  } finally {
    d.close()
  }
}

describe('hicra import and analyze: nothing usable is a failure with its reason', () => {
  const bad = join(tmp.dir, 'bad.jsonl')
  const empty = join(tmp.dir, 'empty.json')
  writeFileSync(bad, JSON.stringify({ prompt: 'a', score: 1 }) + '\n{oops\n')
  writeFileSync(empty, '  \n')

  it('an all-bad file: exit 1, the reason, no run and no file hash', async () => {
    const db = join(tmp.dir, 'bad.db')
    const r = await hicra('import', bad, '--db', db, '--sg', SG)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/hicra import: nothing imported: no rollout could be read from bad\.jsonl \(skipped 1 missing field, 1 malformed JSON;.*no run was created/)
    expect(rows(db, 'SELECT count(*) FROM runs')).toBe(0)
    expect(rows(db, 'SELECT count(*) FROM import_files')).toBe(0)
    const a = await hicra('analyze', bad, '--sg', SG, '--json')
    expect(a.code).toBe(1)
    expect(a.stdout).toBe('')
    expect(a.stderr).toMatch(/hicra analyze: no rollout to analyze in .*bad\.jsonl: every record was skipped \(1 missing field, 1 malformed JSON\)/)
  })

  it('an empty file: exit 1, said so', async () => {
    const r = await hicra('import', empty, '--db', join(tmp.dir, 'empty.db'), '--sg', SG)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/nothing to import in .*empty\.json: skipped empty\.json: the file is empty/)
    const a = await hicra('analyze', empty, '--sg', SG)
    expect(a.code).toBe(1)
    expect(a.stderr).toMatch(/the file is empty/)
  })
})

describe('hicra import: the format guess, outcome-less rollouts and --each', () => {
  it('prints the layout and the rollouts without an outcome; --each makes one run per entry', async () => {
    const file = join(tmp.dir, 'models.json')
    const recs = Array.from({ length: 6 }, (_, i) => ({ question: `Q${i}`, a: { solution: `s${i}`, is_correct: i < 2 }, b: { solution: `t${i}` } }))
    writeFileSync(file, JSON.stringify(recs))
    const db = join(tmp.dir, 'each.db')
    const r = await hicra('import', file, '--db', db, '--sg', SG, '--each', 'a,b')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/imported 6 rollouts over 1 steps into run 1 'models · a' \(jsonl from JSON array of records,/)
    expect(r.stdout).toMatch(/models · b:\nimported 6 rollouts over 1 steps into run 2 'models · b'/)
    expect(r.stdout).toMatch(/6 rollouts without an outcome \(no correct or score\): no accuracy or pass@k for them/)
    const again = await hicra('import', file, '--db', db, '--sg', SG, '--each', 'a,b')
    expect(again.code).toBe(0)
    expect(again.stdout.match(/nothing imported: every file is already in run/g)).toHaveLength(2)
  })
})

describe('numeric options given negative numbers', () => {
  it('get the option\'s range error, not "argument is ambiguous"', async () => {
    const t = await hicra('train', '--steps', '-3', '--db', join(tmp.dir, 'neg.db'))
    expect(t.code).toBe(2)
    expect(t.stderr).toMatch(/--steps must be an integer in \[1, \d+\], got '-3'/)
    expect(t.stderr).not.toMatch(/ambiguous/)
    const a = await hicra('analyze', SG, '--threads', '-2')
    expect(a.stderr).toMatch(/--threads must be an integer in \[1, 64\], got '-2'/)
    const s = await hicra('serve', '--port', '-1')
    expect(s.stderr).toMatch(/--port must be an integer in \[0, 65535\], got '-1'/)
  })
})
