import { describe, expect, it } from 'vitest'
import { smoothByX, xUnit } from '../../src/renderer/src/lib/smoothing'
import { debiasedEma } from '../../src/renderer/src/lib/ema'

describe('smoothing by x distance (debiased, time-weighted EMA)', () => {
  it('weighs each earlier point by w to the power of its distance, on uneven steps (by hand)', () => {
    // Steps 0, 1, 4: the mean gap is 2, so the distances in EMA steps are 0.5, 2 and 1.5, and with
    // w = 0.25 the weights are 0.25^0.5 = 0.5, 0.25^2 = 0.0625 and 0.25^1.5 = 0.125.
    const unit = xUnit(0, 4, 3)
    expect(unit).toBe(2)
    const got = smoothByX([0, 1, 4], [1, 2, 4], 0.25, unit)
    expect(got[0]).toBe(1)
    // (0.5·1 + 2) / (0.5 + 1) = 5/3
    expect(got[1]).toBeCloseTo(5 / 3, 12)
    // (0.0625·1 + 0.125·2 + 4) / (0.0625 + 0.125 + 1) = 4.3125 / 1.1875 = 69/19
    expect(got[2]).toBeCloseTo(69 / 19, 12)
    // Treating the points as evenly spaced would give (0.0625 + 0.25·2 + 4) / 1.3125 instead.
    expect(debiasedEma([1, 2, 4], 0.25)[2]).toBeCloseTo(4.5625 / 1.3125, 12)
  })

  it('is TensorBoard\'s debiased EMA when every gap is one unit', () => {
    const y = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) + i / 100)
    const x = y.map((_, i) => 10 * i)
    const got = smoothByX(x, y, 0.9, xUnit(0, x.at(-1)!, 300))
    const want = debiasedEma(y, 0.9)
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12))
  })

  it('weighs uneven checkpoints by their distance, not by their index (the six-checkpoint case)', () => {
    // Checkpoints at 0, 100, 200, 500, 1000 and 1001: the one at 1000 is 1 step from 1001, not one
    // EMA step, and those at 0…200 lie 300 to 500 steps before 500.
    const x = [0, 100, 200, 500, 1000, 1001]
    const y = [0.5, 0.55, 0.6, 0.6625, 0.7, 0.71]
    const unit = xUnit(0, 1001, 6)
    const byX = smoothByX(x, y, 0.6, unit)
    const even = debiasedEma(y, 0.6)
    expect(byX[3]).not.toBeCloseTo(even[3]!, 3)
    const w = (d: number) => Math.pow(0.6, d / unit)
    const want = (w(500) * 0.5 + w(400) * 0.55 + w(300) * 0.6 + 0.6625) / (w(500) + w(400) + w(300) + 1)
    expect(byX[3]).toBeCloseTo(want, 12)
    // Step 1001 lies next to 1000: it is nearly their mean, not a fresh EMA step towards 0.71.
    const at1001 = (w(1001) * 0.5 + w(901) * 0.55 + w(801) * 0.6 + w(501) * 0.6625 + w(1) * 0.7 + 0.71) /
      (w(1001) + w(901) + w(801) + w(501) + w(1) + 1)
    expect(byX[5]).toBeCloseTo(at1001, 12)
  })

  it('passes non-finite values through, keeps constants exact, and refuses bad arguments', () => {
    const got = smoothByX([0, 1, 2, 3], [1, NaN, 3, Infinity], 0.5, 1)
    expect(got[1]).toBeNaN()
    expect(got[3]).toBe(Infinity)
    // NaN does not enter the mean; the distance from step 0 to step 2 still decays it (0.5² = 0.25).
    expect(got[2]).toBeCloseTo((0.25 * 1 + 3) / 1.25, 12)
    expect(smoothByX([0, 5, 6], [0.1, 0.1, 0.1], 0.9, 1)).toEqual([0.1, 0.1, 0.1])
    expect(smoothByX([0, 1], [1, 2], 0, 1)).toEqual([1, 2])
    expect(() => smoothByX([0], [1, 2], 0.5, 1)).toThrow(/length/)
    expect(() => smoothByX([0, 1], [1, 2], 1, 1)).toThrow(/\[0, 1\)/)
    expect(() => smoothByX([0, 1], [1, 2], 0.5, 0)).toThrow(/positive/)
  })
})
