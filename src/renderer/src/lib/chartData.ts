import type { MetricSeries } from '../../../shared/api/metrics'
import { studentTQuantile } from '../../../core/stats'

export type XMode = 'step' | 'relative' | 'wall'

/** One drawable series: x values, the bucket's last value, and its min/max (equal when raw). */
export interface Curve {
  step: number[]
  x: number[]
  y: number[]
  lo: number[]
  hi: number[]
  /** True when buckets merged several points (or several runs), so lo/hi form a band. */
  banded: boolean
}

/**
 * Shows the fine (zoomed) query inside its step range and the coarse (whole run) query outside it,
 * so the axis keeps the whole run's extent while the visible window has full resolution.
 */
export function mergeZoomed(coarse: MetricSeries, fine: MetricSeries | null, range: [number, number] | null): MetricSeries {
  if (!fine || !range) return coarse
  const out: MetricSeries = { ...coarse, step: [], min: [], max: [], last: [], wall: [] }
  const push = (s: MetricSeries, i: number) => {
    out.step.push(s.step[i]!); out.min.push(s.min[i]!); out.max.push(s.max[i]!); out.last.push(s.last[i]!); out.wall.push(s.wall[i]!)
  }
  let i = 0
  for (; i < coarse.step.length && coarse.step[i]! < range[0]; i++) push(coarse, i)
  for (let j = 0; j < fine.step.length; j++) push(fine, j)
  while (i < coarse.step.length && coarse.step[i]! <= range[1]) i++
  // A coarse bucket that ends past the range may also hold points inside it: keep it, it is the
  // only record of the points after the range.
  for (; i < coarse.step.length; i++) push(coarse, i)
  return out
}

/** The x value of each point: the step, seconds since `origin` (ms), or the wall time (ms). */
export function toCurve(s: MetricSeries, mode: XMode, origin: number): Curve {
  const x = mode === 'step' ? s.step.slice() : mode === 'wall' ? s.wall.slice() : s.wall.map((w) => (w - origin) / 1000)
  return { step: s.step.slice(), x, y: s.last.slice(), lo: s.min.slice(), hi: s.max.slice(), banded: s.total > s.step.length }
}

/** A group's band: its members' min–max, or the 95% Student-t interval of their mean (n = members at that step). */
export type BandMode = 'minmax' | 'ci'

const tCache = new Map<number, number>()
/** t_{0.975, n−1}: the half-width factor of a 95% interval over n values. */
export function t975(n: number): number {
  let t = tCache.get(n)
  if (t === undefined) { t = studentTQuantile(0.975, n - 1); tCache.set(n, t) }
  return t
}

/**
 * Several runs of one group (same config, several seeds) as one curve: at each step that any member
 * has, the mean over the members that have it, with their min and max (or the 95% interval of the
 * mean, where two or more members have the step) as the band. The x value is the members' mean x
 * (the step itself in step mode).
 */
export function aggregateCurves(curves: readonly Curve[], band: BandMode = 'minmax'): Curve {
  if (curves.length === 1) return curves[0]!
  // Welford's running mean and sum of squared deviations: no cancellation on large, close values.
  const acc = new Map<number, { sx: number; mean: number; m2: number; n: number; lo: number; hi: number }>()
  for (const c of curves) {
    for (let i = 0; i < c.step.length; i++) {
      const y = c.y[i]!
      if (!Number.isFinite(y)) continue
      const a = acc.get(c.step[i]!)
      if (a) {
        a.sx += c.x[i]!; a.n++
        const d = y - a.mean
        a.mean += d / a.n; a.m2 += d * (y - a.mean)
        a.lo = Math.min(a.lo, y); a.hi = Math.max(a.hi, y)
      } else acc.set(c.step[i]!, { sx: c.x[i]!, mean: y, m2: 0, n: 1, lo: y, hi: y })
    }
  }
  const steps = [...acc.keys()].sort((a, b) => a - b)
  const out: Curve = { step: steps, x: [], y: [], lo: [], hi: [], banded: true }
  for (const s of steps) {
    const a = acc.get(s)!
    const m = a.mean
    out.x.push(a.sx / a.n); out.y.push(m)
    if (band === 'ci') {
      const half = a.n >= 2 ? t975(a.n) * Math.sqrt(Math.max(0, a.m2) / (a.n - 1) / a.n) : 0
      out.lo.push(m - half); out.hi.push(m + half)
    } else { out.lo.push(a.lo); out.hi.push(a.hi) }
  }
  return out
}

/** The x extent of the data shown, for turning a dataZoom percentage back into values. */
export function xExtent(curves: readonly Curve[]): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const c of curves) {
    if (c.x.length === 0) continue
    lo = Math.min(lo, c.x[0]!)
    hi = Math.max(hi, c.x[c.x.length - 1]!)
  }
  return lo <= hi ? [lo, hi] : null
}

/**
 * The step range of a run that an x window covers, read off that run's curve (x grows with step
 * in every mode: wall times are written as the run proceeds). Widened to the neighbouring points so
 * that the window's edges are drawn too. `null` when the window covers the whole curve.
 */
export function stepWindow(c: Curve, x0: number, x1: number): [number, number] | null {
  const n = c.x.length
  if (n === 0) return null
  let a = 0
  while (a < n && c.x[a]! < x0) a++
  let b = n - 1
  while (b >= 0 && c.x[b]! > x1) b--
  if (a === 0 && b === n - 1) return null
  const lo = a > 0 ? c.step[a - 1]! : c.step[0]!
  const hi = b < n - 1 ? c.step[b + 1]! : c.step[n - 1]!
  return [lo, hi]
}

/** Log axes cannot show values ≤ 0: they become gaps (null) and are counted for the note. */
export function forLogAxis(values: readonly number[]): { values: (number | null)[]; hidden: number } {
  let hidden = 0
  const out = values.map((v) => {
    if (v > 0) return v
    if (Number.isFinite(v)) hidden++
    return null
  })
  return { values: out, hidden }
}

/** Relative time as `1h 02m`, `3m 05s` or `12.5s`, for the axis and the tooltip. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds)
  const sign = seconds < 0 ? '−' : ''
  if (s < 60) return `${sign}${Number(s.toFixed(1))}s`
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`
  return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
