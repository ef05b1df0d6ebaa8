import type { Db } from './open'
import type { MetricPoint, MetricSeries } from '../../shared/api/metrics'

export interface SeriesQuery {
  runId: number
  key: string
  stepMin?: number
  stepMax?: number
  maxPoints: number
}

export class MetricsRepo {
  private readonly insertMetric
  private readonly insertStep
  private readonly rangeStmt
  private readonly rawStmt
  private readonly bucketStmt
  private readonly allStmt
  constructor(private readonly db: Db) {
    this.insertMetric = db.prepare('INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)')
    this.insertStep = db.prepare(`INSERT INTO run_steps (run_id, step, wall_time) VALUES (?, ?, ?)
      ON CONFLICT (run_id, step) DO UPDATE SET wall_time = max(wall_time, excluded.wall_time)`)
    this.rangeStmt = db.prepare(`SELECT count(*) AS n, min(step) AS lo, max(step) AS hi FROM metrics
      WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi`)
    this.rawStmt = db.prepare(`SELECT step, value, wall_time FROM metrics
      WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi ORDER BY step`).raw()
    // min/max per bucket, and the bucket's last point joined back through the primary key.
    this.bucketStmt = db.prepare(`
      WITH g AS (
        SELECT CAST((step - @lo) * @n / @span AS INTEGER) AS b, min(value) AS mn, max(value) AS mx, max(step) AS s
        FROM metrics WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi GROUP BY b)
      SELECT g.s, g.mn, g.mx, m.value, m.wall_time FROM g
      JOIN metrics m ON m.run_id = @run AND m.key = @key AND m.step = g.s ORDER BY g.s`).raw()
    this.allStmt = db.prepare('SELECT step, key, value, wall_time FROM metrics WHERE run_id = ? ORDER BY step, key').raw()
  }

  /** Writes points (replacing any at the same run, key and step) in one transaction. */
  append(runId: number, points: readonly MetricPoint[], now: number = Date.now()): number {
    let written = 0
    this.db.transaction(() => {
      const steps = new Map<number, number>()
      for (const p of points) {
        if (!Number.isFinite(p.value)) continue
        const wall = p.wallTime ?? now
        this.insertMetric.run(runId, p.key, p.step, p.value, wall)
        steps.set(p.step, Math.max(steps.get(p.step) ?? 0, wall))
        written++
      }
      for (const [step, wall] of steps) this.insertStep.run(runId, step, wall)
    })()
    return written
  }

  series(q: SeriesQuery): MetricSeries {
    const lo = q.stepMin === undefined ? -1e15 : Math.ceil(q.stepMin)
    const hi = q.stepMax === undefined ? 1e15 : Math.floor(q.stepMax)
    const out: MetricSeries = { runId: q.runId, key: q.key, total: 0, step: [], min: [], max: [], last: [], wall: [] }
    const range = this.rangeStmt.get({ run: q.runId, key: q.key, lo, hi }) as { n: number; lo: number | null; hi: number | null }
    out.total = range.n
    if (range.n === 0 || range.lo === null || range.hi === null) return out
    if (range.n <= q.maxPoints) {
      for (const [step, value, wall] of this.rawStmt.iterate({ run: q.runId, key: q.key, lo, hi }) as Iterable<[number, number, number]>) {
        out.step.push(step); out.min.push(value); out.max.push(value); out.last.push(value); out.wall.push(wall)
      }
      return out
    }
    const rows = this.bucketStmt.all({ run: q.runId, key: q.key, lo: range.lo, hi, n: q.maxPoints, span: range.hi - range.lo + 1 }) as
      [number, number, number, number, number][]
    for (const [s, mn, mx, last, wall] of rows) {
      out.step.push(s); out.min.push(mn); out.max.push(mx); out.last.push(last); out.wall.push(wall)
    }
    return out
  }

  /** Every stored point of a run, for complete exports (never downsampled). */
  *all(runId: number): IterableIterator<{ step: number; key: string; value: number; wallTime: number }> {
    for (const [step, key, value, wallTime] of this.allStmt.iterate(runId) as Iterable<[number, string, number, number]>) {
      yield { step, key, value, wallTime }
    }
  }
}
