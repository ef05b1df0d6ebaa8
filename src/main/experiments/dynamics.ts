import { mean, meanInterval, pairedDifference } from '../../core/stats'
import type { IntervalJson } from '../../shared/api/experiments'
import type { ArmData, CellData } from './data'
import { toJson } from './stats'

// The paper's dynamics as numbers with intervals: how much a metric moves in the first third of
// training and in the rest (window means: the first, middle and last tenth of the steps), each
// run's change taken first and then the Student-t interval over seeds; and, per run, the Pearson
// correlation between two metrics over steps.

export interface Windows {
  /** Inclusive step ranges of the three windows. */
  start: [number, number]
  third: [number, number]
  end: [number, number]
}

export function windowsFor(steps: number): Windows {
  const w = Math.max(1, Math.round(steps / 10))
  const t = Math.max(w, Math.round(steps / 3))
  return { start: [1, w], third: [t - w + 1, t], end: [steps - w + 1, steps] }
}

function windowMean(c: CellData, key: string, [lo, hi]: [number, number]): number {
  const s = c.series.get(key)
  if (!s) return NaN
  const vals = s.value.filter((_, i) => s.step[i]! >= lo && s.step[i]! <= hi && Number.isFinite(s.value[i]!))
  return vals.length ? mean(vals) : NaN
}

export interface Movement {
  key: string
  start: IntervalJson
  third: IntervalJson
  end: IntervalJson
  /** third − start, per run, then over seeds. */
  early: IntervalJson
  /** end − third. */
  late: IntervalJson
  /** Relative early change: (third − start) / start, per run. */
  earlyRel: IntervalJson
  lateRel: IntervalJson
}

export function movement(arm: ArmData, key: string, w: Windows): Movement {
  const cells = arm.cells.filter((c) => c.status === 'completed')
  const at = (win: [number, number]) => cells.map((c) => windowMean(c, key, win))
  const s = at(w.start)
  const t = at(w.third)
  const e = at(w.end)
  return {
    key,
    start: toJson(meanInterval(s)),
    third: toJson(meanInterval(t)),
    end: toJson(meanInterval(e)),
    early: toJson(meanInterval(t.map((x, i) => x - s[i]!))),
    late: toJson(meanInterval(e.map((x, i) => x - t[i]!))),
    earlyRel: toJson(meanInterval(t.map((x, i) => (x - s[i]!) / s[i]!))),
    lateRel: toJson(meanInterval(e.map((x, i) => (x - t[i]!) / t[i]!)))
  }
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n < 3) return NaN
  const mx = mean(xs.slice(0, n) as number[])
  const my = mean(ys.slice(0, n) as number[])
  let sxy = 0, sxx = 0, syy = 0
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx
    const dy = ys[i]! - my
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN
}

/** Per run, the correlation over steps of two metrics; then the mean and interval over seeds. */
export function correlation(arm: ArmData, a: string, b: string): IntervalJson {
  const rs: number[] = []
  for (const c of arm.cells) {
    if (c.status !== 'completed') continue
    const sa = c.series.get(a)
    const sb = c.series.get(b)
    if (!sa || !sb) continue
    const bByStep = new Map(sb.step.map((s, i) => [s, sb.value[i]!]))
    const xs: number[] = []
    const ys: number[] = []
    sa.step.forEach((s, i) => {
      const y = bByStep.get(s)
      if (y !== undefined && Number.isFinite(y) && Number.isFinite(sa.value[i]!)) { xs.push(sa.value[i]!); ys.push(y) }
    })
    rs.push(pearson(xs, ys))
  }
  return toJson(meanInterval(rs))
}

/** Paired Δ of a window mean between two arms (same seeds). */
export function pairedWindow(arm: ArmData, base: ArmData, key: string, win: [number, number]): IntervalJson & { seeds: number[] } {
  const f = (a: ArmData) => new Map(a.cells.filter((c) => c.status === 'completed').map((c) => [String(c.seed), windowMean(c, key, win)]))
  const d = pairedDifference(f(arm), f(base))
  return { ...toJson(d), seeds: d.keys.map(Number) }
}
