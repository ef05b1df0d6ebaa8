import type { MetricSeries } from '../../../shared/api/metrics'

/** One `metrics/series`-shaped query (also one query of a `metrics/batch` call). */
export interface SeriesRequest {
  runIds: number[]
  keys: string[]
  stepMin?: number
  stepMax?: number
  maxPoints?: number
  /** Also the last `tail` raw points of each series (metrics/batch only). */
  tail?: number
}

/** The `metrics/series` call, injected so these helpers run against any transport (and in tests). */
export type SeriesFetcher = (req: SeriesRequest) => Promise<{ series: MetricSeries[] }>

/** The largest page `metrics/series` accepts; a range with no more points than this comes back raw. */
export const MAX_PAGE = 100_000

export interface RawPoint {
  step: number
  value: number
  wallTime: number
}

/** True when the series came back as raw points (every bucket one point). */
export function isRaw(s: MetricSeries): boolean {
  return s.total === s.step.length
}

/**
 * Every stored point of one series, never downsampled: one call when the series fits one page,
 * otherwise pages over step windows sized from the series' density, halving a window that still
 * holds more than a page. `pageSize` is only lowered by tests.
 */
export async function fetchRawSeries(fetch: SeriesFetcher, runId: number, key: string, pageSize = MAX_PAGE): Promise<RawPoint[]> {
  const first = (await fetch({ runIds: [runId], keys: [key], maxPoints: pageSize })).series[0]!
  const out: RawPoint[] = []
  const take = (s: MetricSeries) => {
    for (let i = 0; i < s.step.length; i++) out.push({ step: s.step[i]!, value: s.last[i]!, wallTime: s.wall[i]! })
  }
  if (first.total === 0) return out
  if (isRaw(first)) { take(first); return out }
  // Buckets end at their last step, so the first stored step lies at or before the first bucket's:
  // narrow that head window until it comes back raw.
  let lo = first.step[0]!
  for (;;) {
    const head = (await fetch({ runIds: [runId], keys: [key], stepMax: lo, maxPoints: pageSize })).series[0]!
    lo = head.step[0]!
    if (isRaw(head)) break
  }
  const hi = first.step[first.step.length - 1]!
  // Steps are integers (the API refuses others), so [lo, lo + width − 1] windows tile the range.
  let width = Math.max(1, Math.floor(((hi - lo + 1) * pageSize) / first.total / 2))
  while (lo <= hi) {
    const s = (await fetch({ runIds: [runId], keys: [key], stepMin: lo, stepMax: Math.min(hi, lo + width - 1), maxPoints: pageSize })).series[0]!
    if (!isRaw(s)) {
      if (width === 1) throw new Error(`${key} of run ${runId}: step ${lo} holds more than ${pageSize} points`)
      width = Math.max(1, Math.floor(width / 2))
      continue
    }
    take(s)
    lo += width
    if (s.total < pageSize / 4) width *= 2
  }
  return out
}

/**
 * The mean of the last `n` stored points of a series, exactly: widens a window back from the last
 * step until it holds `n` points or reaches the first step. `null` for an empty series.
 */
export async function meanOfLast(fetch: SeriesFetcher, runId: number, key: string, n: number, firstStep: number, lastStep: number): Promise<number | null> {
  if (!(n >= 1)) throw new RangeError(`mean of the last n needs n ≥ 1, got ${n}`)
  let width = n
  for (;;) {
    const stepMin = Math.max(firstStep, lastStep - width + 1)
    const s = (await fetch({ runIds: [runId], keys: [key], stepMin, stepMax: lastStep, maxPoints: MAX_PAGE })).series[0]!
    if (!isRaw(s)) throw new Error(`${key} of run ${runId}: more than ${MAX_PAGE} points in the last ${width} steps`)
    if (s.total >= n || stepMin === firstStep) {
      const vals = s.last.slice(-n)
      return vals.length === 0 ? null : vals.reduce((a, b) => a + b, 0) / vals.length
    }
    width *= 4
  }
}
