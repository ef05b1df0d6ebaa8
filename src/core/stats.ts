// Statistics of an experiment across seeds: means with Student-t intervals (n = seeds), paired
// differences (two arms trained from the same base policies, one per seed) and the area under a
// curve. Pure functions; the report and the app compute every interval here.

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

/** Sample standard deviation (n − 1 in the denominator); NaN below two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN
  const m = mean(xs)
  let s = 0
  for (const x of xs) s += (x - m) ** 2
  return Math.sqrt(s / (xs.length - 1))
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to about 1e-15 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  x -= 1
  let a = c[0]!
  const t = x + 7.5
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Continued fraction of the regularized incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return h
}

/** I_x(a, b), the regularized incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? 1 - tail : tail
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`)
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`)
  if (p === 0.5) return 0
  if (p < 0.5) return -studentTQuantile(1 - p, df)
  let lo = 0
  let hi = 1
  while (studentTCdf(hi, df) < p) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2
    if (studentTCdf(mid, df) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

export interface Interval {
  /** Values the interval is over (seeds). */
  n: number
  mean: number
  sd: number
  /** Half-width: t_{(1+level)/2, n−1} · sd / √n; NaN below two values. */
  half: number
  lo: number
  hi: number
  level: number
}

/** Mean with its two-sided Student-t interval over independent values (one per seed). */
export function meanInterval(xs: readonly number[], level = 0.95): Interval {
  const vals = xs.filter((x) => Number.isFinite(x))
  const n = vals.length
  const m = mean(vals)
  const sd = sampleSd(vals)
  const half = n >= 2 ? studentTQuantile((1 + level) / 2, n - 1) * (sd / Math.sqrt(n)) : NaN
  return { n, mean: m, sd, half, lo: m - half, hi: m + half, level }
}

export interface PairedInterval extends Interval {
  /** The pairing keys (seeds) both sides had. */
  keys: string[]
}

/**
 * The mean difference `a − b` over the keys (seeds) both have, with the Student-t interval of the
 * per-key differences: each seed's two runs start from the same base policy, so the base's luck
 * cancels out of the difference.
 */
export function pairedDifference(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, level = 0.95): PairedInterval {
  const keys = [...a.keys()].filter((k) => b.has(k) && Number.isFinite(a.get(k)!) && Number.isFinite(b.get(k)!)).sort()
  const diffs = keys.map((k) => a.get(k)! - b.get(k)!)
  return { ...meanInterval(diffs, level), keys }
}

/**
 * Area under a curve by the trapezoid rule, divided by its x span: the curve's mean height, so
 * runs of different lengths compare (a single point is its own value).
 */
export function normalizedArea(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n === 0) return NaN
  if (n === 1) return ys[0]!
  let area = 0
  for (let i = 1; i < n; i++) area += ((xs[i]! - xs[i - 1]!) * (ys[i]! + ys[i - 1]!)) / 2
  const span = xs[n - 1]! - xs[0]!
  return span > 0 ? area / span : mean(ys.slice(0, n) as number[])
}
