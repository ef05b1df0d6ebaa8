import type { Db } from './open'
import { toBlob } from './blobs'
import { EFFECTIVE_LABEL_SQL, PRIORITY_SQL } from './errorLabels'

/** A rollout as the importer writes it. */
export interface NewRollout {
  step: number
  promptId: string | null
  prompt: string | null
  response: string
  score: number | null
  correct: boolean | null
  answer: string | null
  gold: string | null
  nTokens: number | null
  tokenStarts: Int32Array | null
  tokenEnds: Int32Array | null
  logprobs: Float32Array | null
  entropies: Float32Array | null
  planningMask: Uint8Array | null
  hasSg: boolean
  /** Settings the record carried beside the rollout (`temperature`…), stored as JSON in `extra`. */
  extra?: Record<string, string | number | boolean> | null
}

export interface RolloutRow {
  id: number
  run_id: number
  step: number
  prompt_id: string | null
  prompt: string | null
  response: string
  score: number | null
  correct: number | null
  answer: string | null
  gold: string | null
  n_tokens: number | null
  token_starts: Buffer | null
  token_ends: Buffer | null
  logprobs: Buffer | null
  entropies: Buffer | null
  planning_mask: Buffer | null
  has_sg: number
}

export interface PageQuery {
  runId: number
  step?: number
  stepMin?: number
  stepMax?: number
  correct?: boolean
  errorType?: string
  text?: string
  hasSg?: boolean
  offset: number
  limit: number
}

export interface PageRow {
  id: number
  run_id: number
  step: number
  prompt_id: string | null
  score: number | null
  correct: number | null
  preview: string
  n_tokens: number | null
  has_sg: number
  error_type: string | null
}

/** The columns an import writes, in the order of `insert`'s values (packedRollouts.ts writes the same). */
export const INSERT_COLUMNS = `run_id, step, prompt_id, prompt, response, score, correct, answer, gold, n_tokens, token_starts, token_ends,
  logprobs, entropies, planning_mask, has_sg, extra`

// The label shown for a rollout: its effective label as the Errors view counts it (docs/errors.md).
const LABEL_SQL = EFFECTIVE_LABEL_SQL

/** Rollouts of runs: bulk insert for imports, filtered pages and single reads for the explorer. */
export class RolloutsRepo {
  private readonly insertStmt
  private readonly labelStmt
  private readonly getStmt
  private readonly maskStmt
  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO rollouts (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.labelStmt = db.prepare(`INSERT OR REPLACE INTO error_labels (rollout_id, source, error_type, created_at) VALUES (?, ?, ?, ?)`)
    this.getStmt = db.prepare('SELECT * FROM rollouts WHERE id = ?')
    this.maskStmt = db.prepare('UPDATE rollouts SET planning_mask = ?, has_sg = ? WHERE id = ?')
  }

  /** Inserts one rollout (call inside a transaction for speed); returns its id. */
  insert(runId: number, r: NewRollout): number {
    const info = this.insertStmt.run(runId, r.step, r.promptId, r.prompt, r.response, r.score,
      r.correct === null ? null : r.correct ? 1 : 0, r.answer, r.gold, r.nTokens,
      toBlob(r.tokenStarts), toBlob(r.tokenEnds), toBlob(r.logprobs), toBlob(r.entropies), toBlob(r.planningMask), r.hasSg ? 1 : 0,
      r.extra ? JSON.stringify(r.extra) : null)
    return Number(info.lastInsertRowid)
  }

  /** An error label that came with the data (source `truth`) or from elsewhere. */
  label(rolloutId: number, source: 'truth' | 'manual' | 'rule' | 'judge', errorType: string, now = Date.now()): void {
    this.labelStmt.run(rolloutId, source, errorType, now)
  }

  setPlanning(id: number, mask: Uint8Array | null, hasSg: boolean): void {
    this.maskStmt.run(toBlob(mask), hasSg ? 1 : 0, id)
  }

  get(id: number): RolloutRow | null {
    return (this.getStmt.get(id) as RolloutRow | undefined) ?? null
  }

  labels(id: number): { source: string; errorType: string }[] {
    return (this.db.prepare(`SELECT source, error_type AS errorType FROM error_labels l WHERE l.rollout_id = ? ORDER BY ${PRIORITY_SQL}`)
      .all(id) as { source: string; errorType: string }[])
  }

  page(q: PageQuery): { total: number; rows: PageRow[] } {
    const where = ['r.run_id = @runId']
    const p: Record<string, unknown> = { runId: q.runId, offset: q.offset, limit: q.limit }
    if (q.step !== undefined) {
      where.push('r.step = @step')
      p.step = q.step
    }
    if (q.stepMin !== undefined) {
      where.push('r.step >= @stepMin')
      p.stepMin = q.stepMin
    }
    if (q.stepMax !== undefined) {
      where.push('r.step <= @stepMax')
      p.stepMax = q.stepMax
    }
    if (q.correct !== undefined) {
      // SPEC §4: a record's own flag, else score > 0.
      where.push(q.correct ? '(r.correct = 1 OR (r.correct IS NULL AND r.score > 0))' : '(r.correct = 0 OR (r.correct IS NULL AND r.score <= 0))')
    }
    if (q.hasSg !== undefined) {
      where.push('r.has_sg = @hasSg')
      p.hasSg = q.hasSg ? 1 : 0
    }
    if (q.errorType !== undefined) {
      where.push('EXISTS (SELECT 1 FROM error_labels l WHERE l.rollout_id = r.id AND l.error_type = @errorType)')
      p.errorType = q.errorType
    }
    if (q.text !== undefined && q.text !== '') {
      where.push("(r.response LIKE @text ESCAPE '\\' OR r.prompt LIKE @text ESCAPE '\\')")
      p.text = `%${q.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`
    }
    const w = where.join(' AND ')
    const total = this.db.prepare(`SELECT count(*) FROM rollouts r WHERE ${w}`).pluck().get(p) as number
    const rows = this.db.prepare(`SELECT r.id, r.run_id, r.step, r.prompt_id, r.score, r.correct, substr(r.response, 1, 200) AS preview,
      r.n_tokens, r.has_sg, ${LABEL_SQL} AS error_type FROM rollouts r WHERE ${w} ORDER BY r.step, r.id LIMIT @limit OFFSET @offset`).all(p) as PageRow[]
    return { total, rows }
  }

  /**
   * The run's rollouts after `afterId`, in id (= import) order, `limit` at a time: recomputation
   * reads a run in constant memory and may write between batches (an open iterator would lock the
   * connection).
   */
  batch(runId: number, afterId: number, limit: number): RolloutRow[] {
    return this.db.prepare('SELECT * FROM rollouts WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?').all(runId, afterId, limit) as RolloutRow[]
  }

  /** As `batch`, only rows of the given steps. */
  batchOfSteps(runId: number, steps: readonly number[], afterId: number, limit: number): RolloutRow[] {
    return this.db.prepare(`SELECT * FROM rollouts WHERE run_id = ? AND step IN (SELECT value FROM json_each(?)) AND id > ? ORDER BY id LIMIT ?`)
      .all(runId, JSON.stringify(steps), afterId, limit) as RolloutRow[]
  }

  count(runId: number): number {
    return this.db.prepare('SELECT count(*) FROM rollouts WHERE run_id = ?').pluck().get(runId) as number
  }
}
