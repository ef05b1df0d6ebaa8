/**
 * Smoothing by distance along x, debiased: the value drawn at point n is the weighted mean of the
 * points up to it, each weighted by `w` to the power of its distance from n in units of `unit`:
 *
 *   shown(n) = Σᵢ≤ₙ w^((xₙ − xᵢ)/unit) · yᵢ  /  Σᵢ≤ₙ w^((xₙ − xᵢ)/unit)
 *
 * This is Weights & Biases' time-weighted EMA. With every gap equal to `unit` it is exactly
 * TensorBoard's debiased EMA (`last = w·last + (1 − w)·y`, shown as `last / (1 − wⁿ)`), so evenly
 * logged runs look as they always did; on uneven steps (checkpoints at 0, 100, 500, 1000) a far
 * earlier point weighs as little as its distance says, instead of as much as a neighbour.
 * Non-finite values are drawn as they are and do not enter the mean; a constant series is returned
 * as it is (no floating-point drift). `weight` is in [0, 1): 0 returns the values unchanged.
 */
export function smoothByX(x: readonly number[], y: readonly number[], weight: number, unit: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`)
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} and ${y.length})`)
  if (weight === 0 || y.every((v) => v === y[0])) return y.slice()
  if (!(unit > 0) || !Number.isFinite(unit)) throw new RangeError(`the x unit of smoothing must be a positive number, got ${unit}`)
  const out = new Array<number>(y.length)
  let num = 0
  let den = 0
  let lastX: number | null = null
  const lnW = Math.log(weight)
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!Number.isFinite(v)) {
      out[i] = v
      continue
    }
    if (lastX !== null) {
      // Decay by the distance travelled since the last point that entered the mean.
      const decay = Math.exp((lnW * Math.max(0, x[i]! - lastX)) / unit)
      num *= decay
      den *= decay
    }
    num += v
    den += 1
    lastX = x[i]!
    out[i] = num / den
  }
  return out
}

/**
 * The x distance that counts as one step of the EMA: the mean distance between stored points,
 * over the whole series (`points` is how many points the store holds between `x0` and `x1`, which
 * is more than are drawn when the series is downsampled). Zooming re-queries more points of the
 * same series and leaves this unchanged, so the curve keeps its shape.
 */
export function xUnit(x0: number, x1: number, points: number): number {
  return points > 1 && x1 > x0 ? (x1 - x0) / (points - 1) : 1
}

/** Below this many points a series is drawn as its points: smoothing a handful of checkpoints hides them. */
export const SMOOTH_MIN_POINTS = 20
