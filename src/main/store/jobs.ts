import type { Db } from './open'
import { pidAlive } from './pid'
import type { JobStatus, JobSummary } from '../../shared/api/jobs'

interface JobRow {
  id: number
  kind: string
  status: JobStatus
  run_id: number | null
  created_at: number
  updated_at: number
  done: number
  total: number | null
  unit: string
  message: string | null
  error: string | null
}

const toSummary = (r: JobRow): JobSummary => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  runId: r.run_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  done: r.done,
  total: r.total,
  unit: r.unit,
  message: r.message,
  error: r.error
})

export class JobsRepo {
  constructor(private readonly db: Db) {}

  create(kind: string, opts: { runId?: number | null; unit?: string; total?: number | null; params?: unknown } = {}): JobSummary {
    const now = Date.now()
    const info = this.db.prepare(`INSERT INTO jobs (kind, status, run_id, created_at, updated_at, unit, total, params, owner_pid)
      VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)`).run(kind, opts.runId ?? null, now, now, opts.unit ?? '', opts.total ?? null,
      opts.params === undefined ? null : JSON.stringify(opts.params), process.pid)
    return this.get(Number(info.lastInsertRowid))!
  }

  get(id: number): JobSummary | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined
    return row ? toSummary(row) : null
  }

  list(activeOnly = false): JobSummary[] {
    const sql = activeOnly
      ? "SELECT * FROM jobs WHERE status IN ('queued', 'running', 'paused') ORDER BY id DESC"
      : 'SELECT * FROM jobs ORDER BY id DESC LIMIT 500'
    return (this.db.prepare(sql).all() as JobRow[]).map(toSummary)
  }

  progress(id: number, done: number, total: number | null, message: string | null = null): void {
    this.db.prepare('UPDATE jobs SET done = ?, total = ?, message = coalesce(?, message), updated_at = ? WHERE id = ?')
      .run(done, total, message, Date.now(), id)
  }

  finish(id: number, status: Exclude<JobStatus, 'queued' | 'running'>, opts: { error?: string | null; result?: unknown } = {}): void {
    this.db.prepare('UPDATE jobs SET status = ?, error = ?, result = ?, updated_at = ? WHERE id = ?')
      .run(status, opts.error ?? null, opts.result === undefined ? null : JSON.stringify(opts.result), Date.now(), id)
  }

  /** Jobs left running by a process that died cannot be running any more. */
  markInterrupted(isAlive: (pid: number) => boolean = pidAlive): number {
    const rows = this.db.prepare("SELECT id, owner_pid FROM jobs WHERE status IN ('queued', 'running', 'paused')")
      .all() as { id: number; owner_pid: number | null }[]
    const stmt = this.db.prepare("UPDATE jobs SET status = 'interrupted', updated_at = ? WHERE id = ?")
    let n = 0
    this.db.transaction(() => {
      for (const r of rows) {
        if (r.owner_pid === null || (r.owner_pid !== process.pid && !isAlive(r.owner_pid))) n += stmt.run(Date.now(), r.id).changes
      }
    })()
    return n
  }
}
