/**
 * TensorBoard's debiased exponential moving average (the smoothing slider of its scalar charts):
 * `last = w·last + (1 − w)·y`, shown as `last / (1 − wⁿ)` where n counts the finite points seen so
 * far, so the curve does not start pulled towards 0. Non-finite points are passed through unsmoothed
 * and do not enter the average; a constant series is returned as is (no floating-point drift).
 * `weight` is in [0, 1): 0 returns the values unchanged.
 */
export function debiasedEma(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`)
  const out = new Array<number>(values.length)
  const first = values.find((v) => Number.isFinite(v))
  const constant = values.every((v) => v === values[0])
  let last = 0
  let n = 0
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!
    if (weight === 0 || constant || !Number.isFinite(y) || first === undefined) {
      out[i] = y
      continue
    }
    last = last * weight + (1 - weight) * y
    n++
    out[i] = last / (1 - Math.pow(weight, n))
  }
  return out
}
