import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorsCommand } from '../../src/cli/commands/errors'
import { openStore } from '../../src/main/store'
import { tempDir } from '../helpers/tmp'
import { insertRollouts } from '../helpers/rollouts'

// `hicra errors` in process, on a workspace with two failures.
const tmp = tempDir()
const db = join(tmp.dir, 'cli.db')
let runId: number
let failed: number

beforeAll(() => {
  const store = openStore(db)
  runId = store.runs.create({ name: 'cli', kind: 'import' }).id
  ;[, failed] = insertRollouts(store.db, runId, [
    { step: 3, response: 'fine \\boxed{1}', correct: true },
    { step: 3, response: 'So 2 + 2 = 5, the answer is 5.', correct: false, gold: '4' },
    { step: 4, response: 'I give up', correct: false, gold: '4' }
  ])
  store.close()
})
afterAll(tmp.cleanup)

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
  try {
    const code = await errorsCommand.run([...argv, '--db', db])
    return { code, out: lines.join('\n') }
  } finally {
    spy.mockRestore()
  }
}

describe('hicra errors', () => {
  it('rules, counts, label, taxonomy', async () => {
    const rules = await run('rules', String(runId))
    expect(rules).toEqual({ code: 0, out: '2 of 2 failures pre-labelled: arithmetic-slip 1, no-final-answer 1' })
    const counts = await run('counts', String(runId), '--source', 'rule')
    expect(counts.out.split('\n')[0]).toMatch(/^step\s+failures\s+planning\s+calculation\s+knowledge\s+format\s+unlabelled\s+Planning & Strategy\s+Others$/)
    expect(counts.out.split('\n')[1]).toMatch(/^3\s+1\s+0\s+1\s+0\s+0\s+0\s+0\s+1$/)
    expect((await run('label', String(failed), 'knowledge')).out).toBe('manual: knowledge, rule: calculation')
    expect((await run('label', String(failed), '--clear')).out).toBe('rule: calculation')
    const json = JSON.parse((await run('counts', String(runId), '--json')).out)
    expect(json.series.format).toEqual([0, 1])

    const file = join(tmp.dir, 'tax.json')
    writeFileSync(file, JSON.stringify({ types: [{ id: 'planning', group: 'Planning & Strategy', meaning: 'plan' }, { id: 'other', group: 'Others', meaning: '' }] }))
    expect((await run('taxonomy', '--set', file)).out).toMatch(/planning\s+Planning & Strategy\s+plan\nother\s+Others/)
    expect((await run('taxonomy', '--reset', '--json')).out).toContain('"calculation"')
  })

  it('refuses bad command lines with a usage message', async () => {
    await expect(run('counts', 'x')).rejects.toThrow('usage: hicra errors counts RUN_ID')
    await expect(run('counts', String(runId), '--source', 'oracle')).rejects.toThrow('--source must be one of')
    await expect(run('label', String(failed))).rejects.toThrow('give exactly one of TYPE, --clear and --accept')
    await expect(run('judge', String(runId))).rejects.toThrow('no judge endpoint is configured')
    await expect(run('judge', String(runId), '--key-env', 'HICRA_NO_SUCH_VARIABLE')).rejects.toThrow('HICRA_NO_SUCH_VARIABLE is not set')
    await expect(run('frobnicate')).rejects.toThrow("unknown verb 'errors frobnicate'")
  })
})
