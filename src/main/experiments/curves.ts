import { meanInterval, studentTQuantile } from '../../core/stats'
import type { ArmData, Curve } from './data'

// Curves across seeds: at each step, the mean over the arm's completed runs and the 95%
// Student-t band (n = seeds at that step). Per-step training metrics of small batches are noisy,
// so they may be averaged over a trailing window of steps first (the same window for every arm).

export interface ArmCurve {
  arm: string
  step: number[]
  mean: number[]
  lo: number[]
  hi: number[]
  /** Seeds behind each point. */
  n: number[]
}

/** Mean of the last `window` points up to each point (window 1: the raw curve). */
export function trailingMean(c: Curve, window: number): Curve {
  if (window <= 1) return c
  const value: number[] = []
  let sum = 0
  for (let i = 0; i < c.value.length; i++) {
    sum += c.value[i]!
    if (i >= window) sum -= c.value[i - window]!
    value.push(sum / Math.min(i + 1, window))
  }
  return { step: c.step, value }
}

export function armCurve(arm: ArmData, key: string, window = 1, onlyCompleted = true): ArmCurve {
  const byStep = new Map<number, number[]>()
  for (const cell of arm.cells) {
    if (onlyCompleted && cell.status !== 'completed') continue
    const s = cell.series.get(key)
    if (!s) continue
    const sm = trailingMean(s, window)
    sm.step.forEach((st, i) => {
      const v = sm.value[i]!
      if (!Number.isFinite(v)) return
      let a = byStep.get(st)
      if (!a) byStep.set(st, (a = []))
      a.push(v)
    })
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b)
  const out: ArmCurve = { arm: arm.arm, step: [], mean: [], lo: [], hi: [], n: [] }
  for (const st of steps) {
    const iv = meanInterval(byStep.get(st)!)
    out.step.push(st)
    out.mean.push(iv.mean)
    out.lo.push(Number.isFinite(iv.lo) ? iv.lo : iv.mean)
    out.hi.push(Number.isFinite(iv.hi) ? iv.hi : iv.mean)
    out.n.push(iv.n)
  }
  return out
}

/** The t factor used for a band of n seeds (for the report's note). */
export function tFactor(n: number, level = 0.95): number {
  return n >= 2 ? studentTQuantile((1 + level) / 2, n - 1) : NaN
}
