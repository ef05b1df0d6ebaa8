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

/**
 * Steps per row of `metric_blocks` (migration 5): a block holds the points of steps
 * [32·block, 32·block + 32). The migration's triggers compute the same block in SQL (`>> 5`).
 */
export const BLOCK_STEPS = 32
const blockOf = (step: number): number => Math.floor(step / BLOCK_STEPS)
/**
 * Blocks exist for steps of magnitude below 2^53 (exact doubles; the triggers' CAST saturates at
 * 2^63). Points past that are answered from the rows: a range reaching them never reads blocks.
 */
const MAX_STEP = 2 ** 53
const MAX_BLOCK = MAX_STEP / BLOCK_STEPS
/** Blocks concatenated per read: ~1.5 MB of points at most in memory at once. */
const BLOCKS_PER_READ = 2048

/** A bucket as the GROUP BY returns it: last step, min, max, last value, its wall time, count. */
type Bucket = [number, number, number, number, number, number]

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
  private readonly blockRowsStmt
  private readonly putBlockStmt
  private readonly dropBlockStmt
  private readonly unstaleStmt
  private readonly staleOfRunStmt
  private readonly staleRunsStmt
  private readonly staleInStmt
  private readonly packedStmt
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

    this.blockRowsStmt = db.prepare(`SELECT step, value, wall_time FROM metrics
      WHERE run_id = ? AND key = ? AND step >= ? AND step < ? ORDER BY step`).raw()
    this.putBlockStmt = db.prepare('INSERT OR REPLACE INTO metric_blocks (run_id, key, block, data) VALUES (?, ?, ?, ?)')
    this.dropBlockStmt = db.prepare('DELETE FROM metric_blocks WHERE run_id = ? AND key = ? AND block = ?')
    this.unstaleStmt = db.prepare('DELETE FROM metric_blocks_stale WHERE run_id = ? AND key = ? AND block BETWEEN ? AND ?')
    this.staleOfRunStmt = db.prepare('SELECT key, block FROM metric_blocks_stale WHERE run_id = ? ORDER BY key, block').raw()
    this.staleRunsStmt = db.prepare('SELECT DISTINCT run_id FROM metric_blocks_stale').pluck()
    this.staleInStmt = db.prepare('SELECT 1 FROM metric_blocks_stale WHERE run_id = ? AND key = ? AND block BETWEEN ? AND ? LIMIT 1').pluck()
    // One BLOB for many blocks: better-sqlite3 makes a Buffer per row, which costs more than the
    // points in it. The subquery hands the blocks over in key order; bucketsFromBlocks checks it.
    this.packedStmt = db.prepare(`SELECT max(block), CAST(group_concat(data, '') AS BLOB) FROM (
      SELECT block, data FROM metric_blocks WHERE run_id = ? AND key = ? AND block BETWEEN ? AND ? ORDER BY block LIMIT ?)`).raw()
  }

  /** Writes points (replacing any at the same run, key and step) in one transaction. */
  append(runId: number, points: readonly MetricPoint[], now: number = Date.now()): number {
    let written = 0
    this.db.transaction(() => {
      const steps = new Map<number, number>()
      const touched = new Map<string, Set<number>>()
      for (const p of points) {
        if (!Number.isFinite(p.value)) continue
        const wall = p.wallTime ?? now
        this.insertMetric.run(runId, p.key, p.step, p.value, wall)
        steps.set(p.step, Math.max(steps.get(p.step) ?? 0, wall))
        let blocks = touched.get(p.key)
        if (!blocks) touched.set(p.key, (blocks = new Set()))
        blocks.add(blockOf(p.step))
        written++
      }
      for (const [step, wall] of steps) this.insertStep.run(runId, step, wall)
      // From the rows, not from the points: a replaced point or one SQLite stores otherwise (-0 as 0)
      // reads back as the bucket query would read it.
      // Marks exist only after a DELETE or UPDATE: without them the rebuilt blocks have none to clear.
      const marked = this.staleOfRunStmt.get(runId) !== undefined
      for (const [key, blocks] of touched) this.rebuildBlocks(runId, key, [...blocks], marked)
      if (marked) this.repair(runId)
    })()
    return written
  }

  /** Rebuilds the blocks a DELETE or an UPDATE of the run's rows left stale (none: one seek). */
  repair(runId: number): void {
    const stale = this.staleOfRunStmt.all(runId) as [string, number][]
    if (stale.length === 0) return
    this.db.transaction(() => {
      let i = 0
      while (i < stale.length) {
        const key = stale[i]![0]
        const blocks: number[] = []
        for (; i < stale.length && stale[i]![0] === key; i++) blocks.push(stale[i]![1])
        this.rebuildBlocks(runId, key, blocks, true)
      }
    })()
  }

  /** Rebuilds every stale block of the workspace (after migration 5, all of them), a run per transaction. */
  repairAll(): void {
    for (const runId of this.staleRunsStmt.all() as number[]) this.repair(runId)
  }

  /** Each contiguous stretch of `blocks` from one range read of its rows; an empty block is dropped. */
  private rebuildBlocks(runId: number, key: string, all: number[], unmark: boolean): void {
    const blocks = all.filter((b) => Math.abs(b) < MAX_BLOCK)
    // Marks out there (the triggers' blocks of such steps need not be exact doubles) are just cleared.
    if (unmark && blocks.length < all.length) {
      this.unstaleStmt.run(runId, key, MAX_BLOCK, Number.MAX_VALUE)
      this.unstaleStmt.run(runId, key, -Number.MAX_VALUE, -MAX_BLOCK)
    }
    blocks.sort((a, b) => a - b)
    let first = 0
    for (let i = 1; i <= blocks.length; i++) {
      if (i < blocks.length && blocks[i]! === blocks[i - 1]! + 1) continue
      const b0 = blocks[first]!, b1 = blocks[i - 1]!
      const rows = this.blockRowsStmt.all(runId, key, b0 * BLOCK_STEPS, (b1 + 1) * BLOCK_STEPS) as [number, number, number][]
      let r = 0
      for (let b = b0; b <= b1; b++) {
        const start = r
        const end = (b + 1) * BLOCK_STEPS
        while (r < rows.length && rows[r]![0] < end) r++
        if (r === start) {
          this.dropBlockStmt.run(runId, key, b)
          continue
        }
        const data = new Float64Array(3 * (r - start))
        for (let j = start, k = 0; j < r; j++, k += 3) {
          const row = rows[j]!
          data[k] = row[0]; data[k + 1] = row[1]; data[k + 2] = row[2]
        }
        this.putBlockStmt.run(runId, key, b, Buffer.from(data.buffer))
      }
      if (unmark) this.unstaleStmt.run(runId, key, b0, b1)
      first = i
    }
  }

  series(q: SeriesQuery): MetricSeries {
    // One snapshot for its several statements: another process's commit in between (rows, blocks and
    // stale marks change together) cannot pair one state's range with another's blocks.
    return this.db.transaction(() => this.query(q, true))()
  }

  /**
   * The same answer as series() from the raw rows alone (SQLite's GROUP BY), never from the blocks:
   * the reference the tests hold the blocks to.
   */
  seriesFromRows(q: SeriesQuery): MetricSeries {
    return this.query(q, false)
  }

  private query(q: SeriesQuery, blocks: boolean): MetricSeries {
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
      const span = range.hi - range.lo + 1
      const rows = (blocks ? this.bucketsFromBlocks(q.runId, q.key, range.lo, range.hi, q.maxPoints) : null) ??
        this.bucketStmt.all({ run: q.runId, key: q.key, lo: range.lo, hi, n: q.maxPoints, span }) as Bucket[]
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

  /**
   * bucketStmt's answer from the blocks of [lo, hi] (lo and hi the range's own first and last step):
   * the same bucket of each step by the same double arithmetic SQLite does (steps and bound numbers
   * are REALs there: (step - lo) · n / span, truncated), min and max, the last point's value and
   * wall time, the count. Null where a block of the range is stale or the blocks disagree with the
   * rows' order, so that the rows answer.
   */
  private bucketsFromBlocks(runId: number, key: string, lo: number, hi: number, n: number): Bucket[] | null {
    if (!(Math.abs(lo) < MAX_STEP && Math.abs(hi) < MAX_STEP)) return null
    const span = hi - lo + 1
    const b1 = blockOf(hi)
    let b = blockOf(lo)
    if (this.staleInStmt.get(runId, key, b, b1) !== undefined) return null
    const out: Bucket[] = []
    let cur = -1, mn = 0, mx = 0, s = 0, last = 0, wall = 0, c = 0
    let prev = -Infinity, first: number | null = null
    while (b <= b1) {
      const [upTo, buf] = this.packedStmt.get(runId, key, b, b1, BLOCKS_PER_READ) as [number | null, Buffer | null]
      if (upTo === null || buf === null) break
      if (buf.byteLength % 24 !== 0) return null
      const a = buf.byteOffset % 8 === 0
        ? new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8)
        : new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
      for (let i = 0; i < a.length; i += 3) {
        const step = a[i]!
        if (!(step > prev)) return null
        prev = step
        if (step < lo || step > hi) continue
        first ??= step
        const v = a[i + 1]!
        const k = Math.trunc(((step - lo) * n) / span)
        if (k !== cur) {
          if (c > 0) out.push([s, mn, mx, last, wall, c])
          cur = k; mn = v; mx = v; c = 0
        } else {
          if (v < mn) mn = v
          if (v > mx) mx = v
        }
        s = step; last = v; wall = a[i + 2]!; c++
      }
      b = upTo + 1
    }
    // The range's own first and last step must be there: a block missing at either end answers null.
    if (first !== lo || s !== hi) return null
    if (c > 0) out.push([s, mn, mx, last, wall, c])
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
