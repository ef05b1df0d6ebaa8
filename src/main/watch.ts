import type { Store } from './store'
import type { EventBus } from './events'
import type { JobHost } from './jobs'
import type { JobStatus } from '../shared/api/jobs'
import type { RunKind, RunStatus } from '../shared/api/common'
import { pidAlive } from './store/pid'

// Another process (a `hicra train` in a terminal, a second app window, an import) writes the same
// workspace file. SQLite bumps `PRAGMA data_version` on this connection whenever another connection
// commits, so one cheap pragma a poll tells whether anything changed; only then are the per-run
// high-water marks (status, updated time, last step) and the jobs touched since the last look read
// and their differences sent as the very events the in-process jobs send. The views cannot tell a
// run trained here from one trained elsewhere.

interface RunMark {
  kind: RunKind
  status: RunStatus
  updatedAt: number
  lastStep: number | null
  ownerPid: number | null
}

interface JobMark {
  status: JobStatus
  done: number
  updatedAt: number
  rate: number | null
}

interface RunRow { id: number; kind: RunKind; status: RunStatus; updated_at: number; owner_pid: number | null; last_step: number | null }
interface JobRow {
  id: number; kind: string; status: JobStatus; run_id: number | null; done: number; total: number | null; unit: string
  message: string | null; updated_at: number; owner_pid: number | null
}

export interface WatcherOptions {
  /** How often `data_version` is read (ms). */
  intervalMs?: number
  /** How often runs and jobs of other processes are checked for a dead writer (ms). */
  reapMs?: number
  /** A live run whose writer is gone and that has not changed for this long becomes `interrupted`. */
  staleMs?: number
  isAlive?: (pid: number) => boolean
}

const LIVE_RUN = ['running', 'importing', 'paused']
const LIVE_JOB = ['queued', 'running', 'paused']
/** At most this many new steps are named in one `metrics/appended` (the views re-query anyway). */
const MAX_STEPS_NAMED = 1000

export class WorkspaceWatcher {
  private version = -1
  private runs = new Map<number, RunMark>()
  private jobs = new Map<number, JobMark>()
  private jobsSince = 0
  private timer: ReturnType<typeof setInterval> | null = null
  private lastReap = 0
  private readonly runsStmt
  private readonly lastStepStmt
  private readonly jobsStmt
  private readonly newStepsStmt
  private readonly valueStmt
  private readonly opts: Required<WatcherOptions>

  constructor(private readonly store: Store, private readonly events: EventBus, private readonly host: JobHost, opts: WatcherOptions = {}) {
    this.opts = { intervalMs: 500, reapMs: 5000, staleMs: 10_000, isAlive: pidAlive, ...opts }
    const db = store.db
    this.runsStmt = db.prepare('SELECT id, kind, status, updated_at, owner_pid FROM runs')
    // One seek on run_steps' primary key; asked only of runs that may have gained steps.
    this.lastStepStmt = db.prepare('SELECT max(step) FROM run_steps WHERE run_id = ?').pluck()
    this.jobsStmt = db.prepare(`SELECT id, kind, status, run_id, done, total, unit, message, updated_at, owner_pid FROM jobs
      WHERE updated_at >= ? OR status IN ('queued', 'running', 'paused')`)
    this.newStepsStmt = db.prepare('SELECT step FROM run_steps WHERE run_id = ? AND step > ? ORDER BY step LIMIT ?').pluck()
    this.valueStmt = db.prepare('SELECT value FROM metrics WHERE run_id = ? AND key = ? AND step = ?').pluck()
  }

  /** Takes the current state as the baseline (nothing is announced for it) and starts polling. */
  start(): void {
    if (this.timer) return
    this.version = this.dataVersion()
    this.snapshot(false)
    this.timer = setInterval(() => this.poll(), this.opts.intervalMs)
    this.timer.unref?.()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** One look: cheap unless another connection committed since the last one. Public for tests. */
  poll(now: number = Date.now()): void {
    try {
      // A read-only workspace is shown as it is; nothing is marked in it.
      if (!this.store.db.readonly && now - this.lastReap >= this.opts.reapMs) {
        this.lastReap = now
        this.reap(now)
      }
      const v = this.dataVersion()
      if (v === this.version) return
      this.version = v
      this.snapshot(true)
    } catch (err) {
      // A busy or closed database: the next poll tries again; a viewer must not crash over it.
      if (!/not open|closed/i.test((err as Error).message)) console.error('workspace watcher:', (err as Error).message)
    }
  }

  private dataVersion(): number {
    return this.store.db.pragma('data_version', { simple: true }) as number
  }

  private snapshot(announce: boolean): void {
    const seen = new Set<number>()
    for (const row of this.runsStmt.all() as Omit<RunRow, 'last_step'>[]) {
      seen.add(row.id)
      const before = this.runs.get(row.id)
      // Steps arrive while a run is live, or with the write that ends it (an import stores its
      // metrics with its status): a finished, unchanged run keeps its last step.
      const mayGrow = !before || LIVE_RUN.includes(row.status) || row.status === 'created' || row.updated_at !== before.updatedAt
      const r: RunRow = { ...row, last_step: mayGrow ? (this.lastStepStmt.get(row.id) as number | null) : before.lastStep }
      const mark: RunMark = { kind: r.kind, status: r.status, updatedAt: r.updated_at, lastStep: r.last_step, ownerPid: r.owner_pid }
      this.runs.set(r.id, mark)
      if (!announce) continue
      // This process announces its own live runs itself.
      const ours = r.owner_pid === process.pid
      if (!before) {
        if (!ours) this.events.emit('runs/changed', { runId: r.id, change: 'created' })
        if (!ours && r.last_step !== null) this.announceSteps(r.id, r.kind, -Infinity)
        continue
      }
      if (ours) continue
      if (r.last_step !== before.lastStep && r.last_step !== null) {
        // A restart from a checkpoint drops the steps after it: all steps from there are new.
        this.announceSteps(r.id, r.kind, before.lastStep !== null && r.last_step > before.lastStep ? before.lastStep : -Infinity)
      }
      if (r.status !== before.status || r.updated_at !== before.updatedAt) this.events.emit('runs/changed', { runId: r.id, change: 'updated' })
    }
    for (const id of [...this.runs.keys()]) {
      if (seen.has(id)) continue
      this.runs.delete(id)
      if (announce) this.events.emit('runs/changed', { runId: id, change: 'deleted' })
    }
    this.snapshotJobs(announce)
  }

  private announceSteps(runId: number, kind: RunKind, after: number): void {
    const steps = this.newStepsStmt.all(runId, after === -Infinity ? -1e15 : after, MAX_STEPS_NAMED + 1) as number[]
    if (steps.length === 0) return
    this.events.emit('metrics/appended', { runId, steps: steps.slice(-MAX_STEPS_NAMED) })
    if (kind !== 'train') return
    // The trainer's own event carries the step's metrics; so does this one, read back from the store.
    const step = steps[steps.length - 1]!
    const metrics: Record<string, number> = {}
    for (const key of this.store.runs.metricKeys(runId)) {
      const v = this.valueStmt.get(runId, key, step) as number | undefined
      if (v !== undefined) metrics[key] = v
    }
    this.events.emit('train/step', { runId, step, metrics })
  }

  private snapshotJobs(announce: boolean): void {
    const since = this.jobsSince
    let newest = since
    const ownJobs = new Set(this.host.active)
    for (const j of this.jobsStmt.all(since) as JobRow[]) {
      newest = Math.max(newest, j.updated_at)
      const before = this.jobs.get(j.id)
      if (before && before.updatedAt === j.updated_at && before.status === j.status) continue
      let rate = before?.rate ?? null
      if (before && j.updated_at > before.updatedAt && j.done >= before.done) {
        const inst = ((j.done - before.done) * 1000) / (j.updated_at - before.updatedAt)
        rate = rate === null ? inst : 0.7 * rate + 0.3 * inst
      }
      this.jobs.set(j.id, { status: j.status, done: j.done, updatedAt: j.updated_at, rate })
      if (!announce || ownJobs.has(j.id) || j.owner_pid === process.pid) continue
      const live = LIVE_JOB.includes(j.status)
      const eta = live && rate && rate > 0 && j.total !== null ? Math.max(0, (j.total - j.done) / rate) : null
      this.events.emit('jobs/progress', {
        jobId: j.id, kind: j.kind, runId: j.run_id, status: j.status, done: j.done, total: j.total, unit: j.unit,
        rate: live ? rate : null, etaSeconds: eta, message: j.message
      })
    }
    // Rows updated in the same millisecond as the newest one are read again next time (>=).
    this.jobsSince = newest
    for (const [id, m] of this.jobs) if (!LIVE_JOB.includes(m.status) && m.updatedAt < newest - 60_000) this.jobs.delete(id)
  }

  /**
   * A live run or job of another process whose process is gone (killed, crashed) is not live any
   * more: the same rule the workspace applies when it is opened, applied while it stays open. A run
   * is only taken once it has been quiet for a while, so that a process that is just starting (its
   * status written, its pid about to be) is never caught between its two writes.
   */
  private reap(now: number): void {
    const db = this.store.db
    const alive = this.opts.isAlive
    const runs = db.prepare(`SELECT id, owner_pid FROM runs WHERE status IN (${LIVE_RUN.map(() => '?').join(', ')})
      AND owner_pid IS NOT NULL AND owner_pid != ? AND updated_at < ?`).all(...LIVE_RUN, process.pid, now - this.opts.staleMs) as { id: number; owner_pid: number }[]
    const jobs = db.prepare(`SELECT id, owner_pid FROM jobs WHERE status IN (${LIVE_JOB.map(() => '?').join(', ')})
      AND owner_pid IS NOT NULL AND owner_pid != ? AND updated_at < ?`).all(...LIVE_JOB, process.pid, now - this.opts.staleMs) as { id: number; owner_pid: number }[]
    const deadRuns = runs.filter((r) => !alive(r.owner_pid))
    const deadJobs = jobs.filter((j) => !alive(j.owner_pid))
    if (deadRuns.length === 0 && deadJobs.length === 0) return
    const runStmt = db.prepare(`UPDATE runs SET status = 'interrupted', owner_pid = NULL, updated_at = ?
      WHERE id = ? AND owner_pid = ? AND status IN ('running', 'importing', 'paused')`)
    const jobStmt = db.prepare(`UPDATE jobs SET status = 'interrupted', updated_at = ?
      WHERE id = ? AND owner_pid = ? AND status IN ('queued', 'running', 'paused')`)
    const changed: number[] = []
    db.transaction(() => {
      for (const r of deadRuns) if (runStmt.run(now, r.id, r.owner_pid).changes > 0) changed.push(r.id)
      for (const j of deadJobs) jobStmt.run(now, j.id, j.owner_pid)
    })()
    // Our own write does not bump data_version here: announce it now.
    for (const id of changed) {
      const m = this.runs.get(id)
      if (m) { m.status = 'interrupted'; m.ownerPid = null; m.updatedAt = now }
      this.events.emit('runs/changed', { runId: id, change: 'updated' })
    }
    if (deadJobs.length > 0) this.snapshotJobsNow()
  }

  private snapshotJobsNow(): void {
    this.snapshotJobs(true)
  }
}
