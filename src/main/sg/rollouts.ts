import type { Db } from '../store/open'
import { blobToInt32 } from '../store/blobs'

/** The rollout fields Strategic Gram work reads. */
export interface SgRollout {
  id: number
  runId: number
  step: number
  response: string
  score: number | null
  correct: boolean | null
  tokenStarts: Int32Array | null
  tokenEnds: Int32Array | null
}

export interface RolloutScope {
  runIds: number[]
  stepMin?: number
  stepMax?: number
}

interface Row {
  id: number
  run_id: number
  step: number
  response: string
  score: number | null
  correct: number | null
  token_starts?: Buffer | null
  token_ends?: Buffer | null
}

function where(scope: RolloutScope): { sql: string; params: unknown[] } {
  const parts = [`run_id IN (${scope.runIds.map(() => '?').join(',')})`]
  const params: unknown[] = [...scope.runIds]
  if (scope.stepMin !== undefined) {
    parts.push('step >= ?')
    params.push(scope.stepMin)
  }
  if (scope.stepMax !== undefined) {
    parts.push('step <= ?')
    params.push(scope.stepMax)
  }
  return { sql: parts.join(' AND '), params }
}

const toRollout = (r: Row): SgRollout => ({
  id: r.id,
  runId: r.run_id,
  step: r.step,
  response: r.response,
  score: r.score,
  correct: r.correct === null ? null : r.correct !== 0,
  tokenStarts: r.token_starts ? blobToInt32(r.token_starts) : null,
  tokenEnds: r.token_ends ? blobToInt32(r.token_ends) : null
})

/** SPEC §4: the record's own flag if it has one, else score > 0. */
export const isCorrect = (r: SgRollout): boolean => r.correct ?? (r.score !== null && r.score > 0)

export function countRollouts(db: Db, scope: RolloutScope): number {
  const w = where(scope)
  return (db.prepare(`SELECT count(*) FROM rollouts WHERE ${w.sql}`).pluck().get(...w.params) as number)
}

/**
 * Pages through the rollouts in scope by id. Pages, not one open cursor, because the job host writes
 * progress on the same connection between pages, which an open statement iterator would forbid.
 */
export function* rolloutPages(db: Db, scope: RolloutScope, pageSize = 500, withTokens = false): Generator<SgRollout[]> {
  const w = where(scope)
  const cols = `id, run_id, step, response, score, correct${withTokens ? ', token_starts, token_ends' : ''}`
  const stmt = db.prepare(`SELECT ${cols} FROM rollouts WHERE ${w.sql} AND id > ? ORDER BY id LIMIT ?`)
  let last = 0
  for (;;) {
    const rows = stmt.all(...w.params, last, pageSize) as Row[]
    if (rows.length === 0) return
    last = rows[rows.length - 1]!.id
    yield rows.map(toRollout)
  }
}

/** Distinct (run, step) pairs in scope, in order. */
export function stepsInScope(db: Db, scope: RolloutScope): { runId: number; step: number }[] {
  const w = where(scope)
  return (db.prepare(`SELECT DISTINCT run_id AS runId, step FROM rollouts WHERE ${w.sql} ORDER BY run_id, step`).all(...w.params)) as
    { runId: number; step: number }[]
}

/** Up to `limit` rollouts of one step, spread evenly over its rows (ids in order). */
export function stepRollouts(db: Db, runId: number, step: number, limit: number): SgRollout[] {
  const n = db.prepare('SELECT count(*) FROM rollouts WHERE run_id = ? AND step = ?').pluck().get(runId, step) as number
  const cols = 'id, run_id, step, response, score, correct, token_starts, token_ends'
  if (n <= limit) {
    return (db.prepare(`SELECT ${cols} FROM rollouts WHERE run_id = ? AND step = ? ORDER BY id`).all(runId, step) as Row[]).map(toRollout)
  }
  // Every k-th row by position keeps the sample deterministic and spread over the step.
  const k = n / limit
  const rows = db.prepare(`SELECT ${cols} FROM (SELECT *, row_number() OVER (ORDER BY id) - 1 AS pos FROM rollouts WHERE run_id = ? AND step = ?)
    WHERE CAST(pos / ? AS INTEGER) != CAST((pos - 1) / ? AS INTEGER) OR pos = 0 ORDER BY id LIMIT ?`).all(runId, step, k, k, limit) as Row[]
  return rows.map(toRollout)
}
