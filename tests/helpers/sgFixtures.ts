import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Db } from '../../src/main/store'

export interface FixtureRollout {
  step: number
  response: string
  correct: boolean
  promptId?: string
}

/** The hand-written rollouts of tests/fixtures/sg/rollouts.json. */
export function sgFixtureRollouts(): FixtureRollout[] {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/sg/rollouts.json'), 'utf8')) as FixtureRollout[]
}

/** Writes rollouts straight into the store (what an import leaves behind), in one transaction. */
export function insertSgRollouts(db: Db, runId: number, rows: readonly FixtureRollout[]): void {
  const ins = db.prepare(`INSERT INTO rollouts (run_id, step, prompt_id, response, score, correct) VALUES (?, ?, ?, ?, ?, ?)`)
  const step = db.prepare('INSERT OR IGNORE INTO run_steps (run_id, step, wall_time) VALUES (?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) {
      ins.run(runId, r.step, r.promptId ?? null, r.response, r.correct ? 1 : 0, r.correct ? 1 : 0)
      step.run(runId, r.step, 0)
    }
  })()
}
