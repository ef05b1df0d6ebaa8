import type { Db } from './open'
import { pidAlive } from './pid'
import type { ExperimentCell, ExperimentStatus, ExperimentSummary } from '../../shared/api/experiments'

interface ExperimentRow {
  id: number
  name: string
  spec: string
  spec_hash: string
  status: ExperimentStatus
  created_at: number
  updated_at: number
  owner_pid: number | null
}

interface CellRow {
  idx: number
  arm: string
  seed: number
  config: string
  run_id: number | null
  elapsed_s: number
  run_status: string | null
  last_step: number | null
}

export interface StoredExperiment {
  id: number
  name: string
  spec: unknown
  specHash: string
  status: ExperimentStatus
  createdAt: number
  updatedAt: number
}

export interface StoredCell extends ExperimentCell {
  config: unknown
}

export interface NewCell {
  idx: number
  arm: string
  seed: number
  config: unknown
}

export class ExperimentsRepo {
  constructor(private readonly db: Db) {}

  /** Creates an experiment with its whole grid of cells, in one transaction. */
  create(name: string, spec: unknown, specHash: string, cells: readonly NewCell[]): StoredExperiment {
    const now = Date.now()
    return this.db.transaction(() => {
      const info = this.db.prepare(`INSERT INTO experiments (name, spec, spec_hash, status, created_at, updated_at)
        VALUES (?, ?, ?, 'created', ?, ?)`).run(name, JSON.stringify(spec), specHash, now, now)
      const id = Number(info.lastInsertRowid)
      const ins = this.db.prepare('INSERT INTO experiment_runs (experiment_id, idx, arm, seed, config) VALUES (?, ?, ?, ?, ?)')
      for (const c of cells) ins.run(id, c.idx, c.arm, c.seed, JSON.stringify(c.config))
      return this.get(id)!
    })()
  }

  get(id: number): StoredExperiment | null {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined
    return row ? this.toStored(row) : null
  }

  /** The newest experiment with this spec, to continue instead of starting the grid again. */
  latestWithHash(specHash: string): StoredExperiment | null {
    const row = this.db.prepare('SELECT * FROM experiments WHERE spec_hash = ? ORDER BY id DESC LIMIT 1').get(specHash) as ExperimentRow | undefined
    return row ? this.toStored(row) : null
  }

  list(): StoredExperiment[] {
    return (this.db.prepare('SELECT * FROM experiments ORDER BY id DESC').all() as ExperimentRow[]).map((r) => this.toStored(r))
  }

  summaries(): ExperimentSummary[] {
    return this.list().map((e) => this.summary(e))
  }

  summary(e: StoredExperiment): ExperimentSummary {
    const cells = this.cells(e.id)
    return {
      id: e.id,
      name: e.name,
      status: e.status,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      arms: [...new Set(cells.map((c) => c.arm))],
      seeds: [...new Set(cells.map((c) => c.seed))],
      runs: cells.length,
      completedRuns: cells.filter((c) => c.status === 'completed').length
    }
  }

  cells(id: number): StoredCell[] {
    const rows = this.db.prepare(`SELECT e.idx, e.arm, e.seed, e.config, e.run_id, e.elapsed_s, r.status AS run_status,
        (SELECT max(step) FROM run_steps s WHERE s.run_id = e.run_id) AS last_step
      FROM experiment_runs e LEFT JOIN runs r ON r.id = e.run_id WHERE e.experiment_id = ? ORDER BY e.idx`).all(id) as CellRow[]
    return rows.map((r) => {
      const config = JSON.parse(r.config) as { steps?: number }
      return {
        idx: r.idx,
        arm: r.arm,
        seed: r.seed,
        runId: r.run_id,
        status: r.run_id === null ? 'pending' : (r.run_status ?? 'pending'),
        lastStep: r.last_step,
        steps: config.steps ?? 0,
        elapsedS: r.elapsed_s,
        config
      }
    })
  }

  /** Records the run a cell trains in; refuses to replace one (a cell never gets a second run). */
  setRun(id: number, idx: number, runId: number): void {
    const changes = this.db.prepare('UPDATE experiment_runs SET run_id = ? WHERE experiment_id = ? AND idx = ? AND run_id IS NULL')
      .run(runId, id, idx).changes
    if (changes !== 1) throw new Error(`experiment ${id}: cell ${idx} already has a run`)
  }

  addElapsed(id: number, idx: number, seconds: number): void {
    this.db.prepare('UPDATE experiment_runs SET elapsed_s = elapsed_s + ? WHERE experiment_id = ? AND idx = ?').run(seconds, id, idx)
  }

  setStatus(id: number, status: ExperimentStatus, ownerPid: number | null = null): void {
    this.db.prepare('UPDATE experiments SET status = ?, owner_pid = ?, updated_at = ? WHERE id = ?').run(status, ownerPid, Date.now(), id)
  }

  /** Experiments left `running` by a process that died are `interrupted` (run them again to continue). */
  markInterrupted(isAlive: (pid: number) => boolean = pidAlive): number {
    const rows = this.db.prepare("SELECT id, owner_pid FROM experiments WHERE status = 'running'").all() as { id: number; owner_pid: number | null }[]
    let n = 0
    for (const r of rows) {
      if (r.owner_pid === null || (r.owner_pid !== process.pid && !isAlive(r.owner_pid))) {
        this.setStatus(r.id, 'interrupted')
        n++
      }
    }
    return n
  }

  private toStored(r: ExperimentRow): StoredExperiment {
    return { id: r.id, name: r.name, spec: JSON.parse(r.spec), specHash: r.spec_hash, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at }
  }
}
