import type { Db } from './open'
import type { MetricPoint, MetricSeries } from '../../shared/api/metrics'

export interface SeriesQuery {
  runId: number
  key: string
  stepMin?: number
  stepMax?: number
  /** Buckets; 0 returns only the count (and the tail). */
  maxPoints: number
  /** Also the last `tail` raw points of the range. */
  tail?: number
}

export class MetricsRepo {
  private readonly insertMetric
  private readonly insertStep
  private readonly rangeStmt
  private readonly countStmt
  private readonly rawStmt
  private readonly bucketStmt
  private readonly allStmt
  private readonly tailStmt
  private readonly lastStmt
  constructor(private readonly db: Db) {
    this.insertMetric = db.prepare('INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)')
    this.insertStep = db.prepare(`INSERT INTO run_steps (run_id, step, wall_time) VALUES (?, ?, ?)
      ON CONFLICT (run_id, step) DO UPDATE SET wall_time = max(wall_time, excluded.wall_time)`)
    // Two index seeks, no scan: the count comes from the buckets (or the raw rows) themselves.
    this.rangeStmt = db.prepare(`SELECT
      (SELECT min(step) FROM metrics WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi) AS lo,
      (SELECT max(step) FROM metrics WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi) AS hi`)
    this.countStmt = db.prepare('SELECT count(*) FROM metrics WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi').pluck()
    this.rawStmt = db.prepare(`SELECT step, value, wall_time FROM metrics
      WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi ORDER BY step`).raw()
    // min/max per bucket, and the bucket's last point joined back through the primary key.
    this.bucketStmt = db.prepare(`
      WITH g AS (
        SELECT CAST((step - @lo) * @n / @span AS INTEGER) AS b, min(value) AS mn, max(value) AS mx, max(step) AS s, count(*) AS c
        FROM metrics WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi GROUP BY b)
      SELECT g.s, g.mn, g.mx, m.value, m.wall_time, g.c FROM g
      JOIN metrics m ON m.run_id = @run AND m.key = @key AND m.step = g.s ORDER BY g.s`).raw()
    this.tailStmt = db.prepare(`SELECT step, value FROM metrics
      WHERE run_id = @run AND key = @key AND step BETWEEN @lo AND @hi ORDER BY step DESC LIMIT @n`).raw()
    this.lastStmt = db.prepare('SELECT step, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC LIMIT 1').raw()
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
    const range = this.rangeStmt.get({ run: q.runId, key: q.key, lo, hi }) as { lo: number | null; hi: number | null }
    if (q.tail !== undefined) {
      const rows = (this.tailStmt.all({ run: q.runId, key: q.key, lo, hi, n: q.tail }) as [number, number][]).reverse()
      out.tail = { step: rows.map((r) => r[0]), value: rows.map((r) => r[1]) }
    }
    if (range.lo === null || range.hi === null) return out
    if (q.maxPoints === 0) {
      out.total = this.countStmt.get({ run: q.runId, key: q.key, lo, hi }) as number
      return out
    }
    // Steps are integers, so a range no wider than maxPoints holds no more points than that.
    if (range.hi - range.lo + 1 > q.maxPoints) {
      const rows = this.bucketStmt.all({ run: q.runId, key: q.key, lo: range.lo, hi, n: q.maxPoints, span: range.hi - range.lo + 1 }) as
        [number, number, number, number, number, number][]
      let total = 0
      for (const r of rows) total += r[5]
      // Sparse steps (checkpoints) may number no more than maxPoints over a wide range: those come back raw.
      if (total > q.maxPoints) {
        out.total = total
        for (const [s, mn, mx, last, wall] of rows) {
          out.step.push(s); out.min.push(mn); out.max.push(mx); out.last.push(last); out.wall.push(wall)
        }
        return out
      }
    }
    for (const [step, value, wall] of this.rawStmt.iterate({ run: q.runId, key: q.key, lo, hi }) as Iterable<[number, number, number]>) {
      out.step.push(step); out.min.push(value); out.max.push(value); out.last.push(value); out.wall.push(wall)
    }
    out.total = out.step.length
    return out
  }

  /** The last stored point of a series, or null when it has none. */
  last(runId: number, key: string): { step: number; value: number } | null {
    const row = this.lastStmt.get(runId, key) as [number, number] | undefined
    return row ? { step: row[0], value: row[1] } : null
  }

  /** Every stored point of a run, for complete exports (never downsampled). */
  *all(runId: number): IterableIterator<{ step: number; key: string; value: number; wallTime: number }> {
    for (const [step, key, value, wallTime] of this.allStmt.iterate(runId) as Iterable<[number, string, number, number]>) {
      yield { step, key, value, wallTime }
    }
  }
}
