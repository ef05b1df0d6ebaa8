import type { Db } from './open'
import { pidAlive } from './pid'
import type { RunDetail, RunSummary } from '../../shared/api/runs'
import type { RunKind, RunStatus } from '../../shared/api/common'

interface RunRow {
  id: number
  name: string
  kind: RunKind
  status: RunStatus
  created_at: number
  updated_at: number
  backend: string | null
  tags: string
  notes: string
  config: string | null
  source: string | null
  error: string | null
  sg_set_id: number | null
  steps: number
  last_step: number | null
  rollouts: number
}

const SUMMARY_SELECT = `
SELECT r.*,
  (SELECT count(*) FROM run_steps s WHERE s.run_id = r.id) AS steps,
  (SELECT max(step) FROM run_steps s WHERE s.run_id = r.id) AS last_step,
  (SELECT count(*) FROM rollouts o WHERE o.run_id = r.id) AS rollouts
FROM runs r`

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    backend: row.backend,
    tags: (parseJson(row.tags) as string[] | null) ?? [],
    steps: row.steps,
    lastStep: row.last_step,
    rollouts: row.rollouts,
    sgSetId: row.sg_set_id
  }
}

export interface NewRun {
  name: string
  kind: RunKind
  status?: RunStatus
  backend?: string | null
  tags?: string[]
  config?: unknown
  source?: unknown
  sgSetId?: number | null
  sgSetVersion?: number | null
}

export class RunsRepo {
  private readonly byId
  private readonly existsStmt
  private readonly insertStmt
  private readonly keysStmt
  private readonly otherTimeStmt
  private readonly stepCountStmt
  constructor(private readonly db: Db) {
    // A loose index scan: one primary-key seek per distinct key instead of reading every point of
    // the run (DISTINCT would visit all of them; a 20,000-step run has hundreds of thousands).
    this.keysStmt = db.prepare(`
      WITH RECURSIVE k(key) AS (
        SELECT min(key) FROM metrics WHERE run_id = @run
        UNION ALL
        SELECT (SELECT min(key) FROM metrics WHERE run_id = @run AND key > k.key) FROM k WHERE k.key IS NOT NULL)
      SELECT key FROM k WHERE key IS NOT NULL`).pluck()
    this.byId = db.prepare(`${SUMMARY_SELECT} WHERE r.id = ?`)
    this.existsStmt = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
    // A step with another time than the first one's ends the scan there: a trained run's second step.
    this.otherTimeStmt = db.prepare(`SELECT 1 FROM run_steps WHERE run_id = @run
      AND wall_time <> (SELECT wall_time FROM run_steps WHERE run_id = @run ORDER BY step LIMIT 1) LIMIT 1`).pluck()
    this.stepCountStmt = db.prepare('SELECT count(*) FROM run_steps WHERE run_id = ?').pluck()
    this.insertStmt = db.prepare(`INSERT INTO runs (name, kind, status, created_at, updated_at, backend, tags, config, source, sg_set_id, sg_set_version)
      VALUES (@name, @kind, @status, @now, @now, @backend, @tags, @config, @source, @sgSetId, @sgSetVersion)`)
  }

  create(run: NewRun): RunSummary {
    const now = Date.now()
    const info = this.insertStmt.run({
      name: run.name,
      kind: run.kind,
      status: run.status ?? 'created',
      now,
      backend: run.backend ?? null,
      tags: JSON.stringify(run.tags ?? []),
      config: run.config === undefined ? null : JSON.stringify(run.config),
      source: run.source === undefined ? null : JSON.stringify(run.source),
      sgSetId: run.sgSetId ?? null,
      sgSetVersion: run.sgSetVersion ?? null
    })
    return this.get(Number(info.lastInsertRowid))!
  }

  list(filter: { search?: string; kind?: RunKind; tag?: string } = {}): RunSummary[] {
    const where: string[] = []
    const params: Record<string, unknown> = {}
    if (filter.search) {
      where.push("r.name LIKE @search ESCAPE '\\'")
      params.search = `%${filter.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`
    }
    if (filter.kind) {
      where.push('r.kind = @kind')
      params.kind = filter.kind
    }
    if (filter.tag) {
      where.push('EXISTS (SELECT 1 FROM json_each(r.tags) WHERE value = @tag)')
      params.tag = filter.tag
    }
    const sql = `${SUMMARY_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.created_at DESC, r.id DESC`
    return (this.db.prepare(sql).all(params) as RunRow[]).map(toSummary)
  }

  /** The run's number of steps where they all carry one wall time (none or one step included), else null. */
  stepsOfOneTime(id: number): number | null {
    if (this.otherTimeStmt.get({ run: id }) !== undefined) return null
    return this.stepCountStmt.get(id) as number
  }

  /** Whether the run exists: one index seek, without the summary's counts over its steps and rollouts. */
  exists(id: number): boolean {
    return this.existsStmt.get(id) !== undefined
  }

  get(id: number): RunSummary | null {
    const row = this.byId.get(id) as RunRow | undefined
    return row ? toSummary(row) : null
  }

  detail(id: number): RunDetail | null {
    const row = this.byId.get(id) as RunRow | undefined
    if (!row) return null
    const keys = this.metricKeys(id)
    return {
      ...toSummary(row),
      notes: row.notes,
      config: parseJson(row.config),
      source: parseJson(row.source),
      error: row.error,
      metricKeys: keys
    }
  }

  metricKeys(id: number): string[] {
    return this.keysStmt.all({ run: id }) as string[]
  }

  update(id: number, patch: Partial<{ name: string; status: RunStatus; tags: string[]; notes: string; backend: string | null;
    config: unknown; source: unknown; error: string | null; sgSetId: number | null; sgSetVersion: number | null }>): boolean {
    const cols: string[] = []
    const params: Record<string, unknown> = { id, now: Date.now() }
    const set = (col: string, v: unknown) => {
      cols.push(`${col} = @${col}`)
      params[col] = v
    }
    if (patch.name !== undefined) set('name', patch.name)
    if (patch.status !== undefined) set('status', patch.status)
    if (patch.tags !== undefined) set('tags', JSON.stringify(patch.tags))
    if (patch.notes !== undefined) set('notes', patch.notes)
    if (patch.backend !== undefined) set('backend', patch.backend)
    if (patch.config !== undefined) set('config', JSON.stringify(patch.config))
    if (patch.source !== undefined) set('source', JSON.stringify(patch.source))
    if (patch.error !== undefined) set('error', patch.error)
    if (patch.sgSetId !== undefined) set('sg_set_id', patch.sgSetId)
    if (patch.sgSetVersion !== undefined) set('sg_set_version', patch.sgSetVersion)
    const sql = `UPDATE runs SET ${[...cols, 'updated_at = @now'].join(', ')} WHERE id = @id`
    return this.db.prepare(sql).run(params).changes > 0
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0
  }

  /** Claims a live run for this process (see markInterrupted). */
  claim(id: number, pid: number = process.pid): void {
    this.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(pid, id)
  }

  /**
   * Runs left `running` or `importing` by a process that no longer exists are marked `interrupted`,
   * so they can be resumed or retried; runs owned by a live process (a CLI beside the app) are kept.
   */
  markInterrupted(isAlive: (pid: number) => boolean = pidAlive): number[] {
    const rows = this.db.prepare("SELECT id, owner_pid FROM runs WHERE status IN ('running', 'importing', 'paused')")
      .all() as { id: number; owner_pid: number | null }[]
    const dead = rows.filter((r) => r.owner_pid === null || (r.owner_pid !== process.pid && !isAlive(r.owner_pid)))
    const stmt = this.db.prepare("UPDATE runs SET status = 'interrupted', owner_pid = NULL, updated_at = ? WHERE id = ?")
    const now = Date.now()
    this.db.transaction(() => { for (const r of dead) stmt.run(now, r.id) })()
    return dead.map((r) => r.id)
  }
}

