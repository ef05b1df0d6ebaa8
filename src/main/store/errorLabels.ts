import type { Db } from './open'
import type { LabelSource } from '../../core/errorTypes'
import type { ErrorLabelView, LabelFilter, QueueItem } from '../../shared/api/errors'

/**
 * A failed response (SPEC §4/§5): `correct` is the record's own flag where it has one, else
 * `score > 0` is success. A rollout with neither flag nor score is not known to have failed.
 */
export const FAILED_SQL = '(r.correct = 0 OR (r.correct IS NULL AND r.score IS NOT NULL AND r.score <= 0))'

/** The effective label of a failure: manual > judge > rule > truth (over `error_labels l`). */
export const PRIORITY_SQL = "CASE l.source WHEN 'manual' THEN 0 WHEN 'judge' THEN 1 WHEN 'rule' THEN 2 ELSE 3 END"

/** A rollout's effective label, for a query over `rollouts r`. */
export const EFFECTIVE_LABEL_SQL = `(SELECT l.error_type FROM error_labels l WHERE l.rollout_id = r.id ORDER BY ${PRIORITY_SQL} LIMIT 1)`

/** A failed rollout as the labelling queue reads it, before spans and labels are added. */
export type FailedRollout = Omit<QueueItem, 'planningSpans' | 'labels' | 'suggestion'> & {
  nTokens: number | null
  extra: string | null
}

interface LabelRow { rollout_id: number; source: LabelSource; error_type: string; note: string | null; created_at: number }

const toView = (r: LabelRow): ErrorLabelView => ({ source: r.source, errorType: r.error_type, note: r.note, createdAt: r.created_at })

const ROLLOUT_COLS = `r.id, r.run_id AS runId, r.step, r.prompt_id AS promptId, r.prompt, r.response, r.answer, r.gold,
  r.score, r.n_tokens AS nTokens, r.extra`

/** Error labels of failed rollouts (table `error_labels`, one label per rollout and source). */
export class ErrorLabelsRepo {
  private readonly upsert
  private readonly del
  private readonly ofRollout
  constructor(private readonly db: Db) {
    this.upsert = db.prepare(`INSERT INTO error_labels (rollout_id, source, error_type, note, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (rollout_id, source) DO UPDATE SET error_type = excluded.error_type, note = excluded.note, created_at = excluded.created_at`)
    this.del = db.prepare('DELETE FROM error_labels WHERE rollout_id = ? AND source = ?')
    this.ofRollout = db.prepare(`SELECT l.* FROM error_labels l WHERE l.rollout_id = ? ORDER BY ${PRIORITY_SQL}`)
  }

  set(rolloutId: number, source: LabelSource, errorType: string, note: string | null = null, now = Date.now()): void {
    this.upsert.run(rolloutId, source, errorType, note, now)
  }

  clear(rolloutId: number, source: LabelSource): boolean {
    return this.del.run(rolloutId, source).changes > 0
  }

  /** Labels of one rollout, highest priority first. */
  labels(rolloutId: number): ErrorLabelView[] {
    return (this.ofRollout.all(rolloutId) as LabelRow[]).map(toView)
  }

  /** Labels of many rollouts at once, highest priority first per rollout. */
  labelsOf(rolloutIds: readonly number[]): Map<number, ErrorLabelView[]> {
    const out = new Map<number, ErrorLabelView[]>()
    if (rolloutIds.length === 0) return out
    const rows = this.db.prepare(`SELECT l.* FROM error_labels l WHERE l.rollout_id IN (SELECT value FROM json_each(?))
      ORDER BY l.rollout_id, ${PRIORITY_SQL}`).all(JSON.stringify(rolloutIds)) as LabelRow[]
    for (const r of rows) {
      let list = out.get(r.rollout_id)
      if (!list) out.set(r.rollout_id, (list = []))
      list.push(toView(r))
    }
    return out
  }

  rollout(id: number): (FailedRollout & { failed: boolean }) | null {
    const row = this.db.prepare(`SELECT ${ROLLOUT_COLS}, ${FAILED_SQL} AS failed FROM rollouts r WHERE r.id = ?`).get(id) as
      (FailedRollout & { failed: number }) | undefined
    return row ? { ...row, failed: row.failed === 1 } : null
  }

  /**
   * Failures per step and error type. `source` 'effective' takes each failure's highest-priority
   * label; a single source counts only that source's labels. Type null = no such label.
   */
  counts(runId: number, source: LabelFilter, stepMin?: number, stepMax?: number): { step: number; type: string | null; n: number }[] {
    // The label is picked once per failure in the inner query (grouping on a correlated subquery
    // would evaluate it twice).
    const label = source === 'effective'
      ? EFFECTIVE_LABEL_SQL
      : '(SELECT l.error_type FROM error_labels l WHERE l.rollout_id = r.id AND l.source = @source)'
    return this.db.prepare(`SELECT step, type, count(*) AS n FROM (
        SELECT r.step AS step, ${label} AS type FROM rollouts r
        WHERE r.run_id = @run AND ${FAILED_SQL} AND r.step BETWEEN @lo AND @hi)
      GROUP BY step, type ORDER BY step`).all({
      run: runId, source, lo: stepMin === undefined ? -1e15 : Math.ceil(stepMin), hi: stepMax === undefined ? 1e15 : Math.floor(stepMax)
    }) as { step: number; type: string | null; n: number }[]
  }

  /** Failed rollouts of a run without a manual label, by step then id (the labelling queue). */
  queue(runId: number, opts: { step?: number; offset: number; limit: number }): { total: number; items: FailedRollout[] } {
    const where = `r.run_id = @run AND ${FAILED_SQL} AND (@step IS NULL OR r.step = @step)
      AND NOT EXISTS (SELECT 1 FROM error_labels l WHERE l.rollout_id = r.id AND l.source = 'manual')`
    const params = { run: runId, step: opts.step ?? null, offset: opts.offset, limit: opts.limit }
    const total = (this.db.prepare(`SELECT count(*) AS n FROM rollouts r WHERE ${where}`).get(params) as { n: number }).n
    const items = this.db.prepare(`SELECT ${ROLLOUT_COLS} FROM rollouts r WHERE ${where} ORDER BY r.step, r.id LIMIT @limit OFFSET @offset`)
      .all(params) as FailedRollout[]
    return { total, items }
  }

  /** Ids of a run's failures (optionally only those without a label of `without`), in step order. */
  failedIds(runId: number, without?: LabelSource): number[] {
    const extra = without ? 'AND NOT EXISTS (SELECT 1 FROM error_labels l WHERE l.rollout_id = r.id AND l.source = @without)' : ''
    return this.db.prepare(`SELECT r.id FROM rollouts r WHERE r.run_id = @run AND ${FAILED_SQL} ${extra} ORDER BY r.step, r.id`)
      .pluck().all({ run: runId, without: without ?? null }) as number[]
  }

  /** Rows of the given rollouts (for jobs that work through failures in chunks). */
  rollouts(ids: readonly number[]): FailedRollout[] {
    if (ids.length === 0) return []
    return this.db.prepare(`SELECT ${ROLLOUT_COLS} FROM rollouts r WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.step, r.id`)
      .all(JSON.stringify(ids)) as FailedRollout[]
  }

  /** Replaces every label of `source` on the given rollouts in one transaction. */
  replaceSource(source: LabelSource, ids: readonly number[], labels: ReadonlyMap<number, { errorType: string; note: string | null }>): void {
    const now = Date.now()
    this.db.transaction(() => {
      for (const id of ids) {
        const l = labels.get(id)
        if (l) this.upsert.run(id, source, l.errorType, l.note, now)
        else this.del.run(id, source)
      }
    })()
  }

  /** Settings of the errors area (taxonomy, judge), JSON under `errors.<name>` in `settings`. */
  getSetting<T>(name: string): T | null {
    const v = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(`errors.${name}`) as string | undefined
    if (v === undefined) return null
    try {
      return JSON.parse(v) as T
    } catch {
      return null
    }
  }

  setSetting(name: string, value: unknown): void {
    if (value === null) this.db.prepare('DELETE FROM settings WHERE key = ?').run(`errors.${name}`)
    else this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(`errors.${name}`, JSON.stringify(value))
  }

  /** A finished or running job of this area with its stored result. */
  job(id: number): { id: number; kind: string; status: string; done: number; total: number | null; error: string | null; result: string | null } | null {
    return (this.db.prepare(`SELECT id, kind, status, done, total, error, result FROM jobs WHERE id = ? AND kind LIKE 'errors.%'`).get(id) as
      ReturnType<ErrorLabelsRepo['job']> | undefined) ?? null
  }

  /** The run's Strategic Gram phrases (its set's version), for planning highlights. */
  runPhrases(runId: number): string[] | null {
    const run = this.db.prepare('SELECT sg_set_id AS setId, sg_set_version AS version FROM runs WHERE id = ?').get(runId) as
      { setId: number | null; version: number | null } | undefined
    if (!run || run.setId === null) return null
    const version = run.version ?? (this.db.prepare('SELECT head_version FROM sg_sets WHERE id = ?').pluck().get(run.setId) as number | undefined)
    if (version === undefined) return null
    return this.db.prepare('SELECT phrase FROM sg_grams WHERE set_id = ? AND version = ? ORDER BY ord').pluck().all(run.setId, version) as string[]
  }

  /** Token spans and planning mask of a rollout, where it has them. */
  tokenPlanning(id: number): { starts: Buffer | null; ends: Buffer | null; mask: Buffer | null } {
    return (this.db.prepare('SELECT token_starts AS starts, token_ends AS ends, planning_mask AS mask FROM rollouts WHERE id = ?').get(id) as
      { starts: Buffer | null; ends: Buffer | null; mask: Buffer | null } | undefined) ?? { starts: null, ends: null, mask: null }
  }
}
