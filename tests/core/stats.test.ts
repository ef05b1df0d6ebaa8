import { describe, expect, it } from 'vitest'
import { meanInterval, normalizedArea, pairedDifference, sampleSd, studentTCdf, studentTQuantile } from '../../src/core/stats'

describe('Student t', () => {
  it('quantiles match the published table', () => {
    // df 1 has the closed form tan(π(p − ½)); the others are the usual two-sided 95% table values.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 6)
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302653, 5)
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 5)
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 5)
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 5)
    expect(studentTQuantile(0.95, 4)).toBeCloseTo(2.131847, 5)
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445, 5)
  })

  it('the CDF is symmetric and ½ at 0; bad arguments are named', () => {
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 12)
    expect(studentTCdf(1.5, 5) + studentTCdf(-1.5, 5)).toBeCloseTo(1, 12)
    // df 1 is the Cauchy distribution: ½ + atan(t)/π.
    expect(studentTCdf(2, 1)).toBeCloseTo(0.5 + Math.atan(2) / Math.PI, 10)
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be/)
    expect(() => studentTQuantile(0.9, 0)).toThrow(/df/)
  })
})

describe('intervals across seeds', () => {
  it('mean ± t·sd/√n, computed by hand', () => {
    // mean 0.3; squared deviations 0.01, 0, 0.0025, 0.0025, 0.01 → variance 0.025/4 = 0.00625.
    const r = meanInterval([0.2, 0.3, 0.25, 0.35, 0.4])
    expect(r.n).toBe(5)
    expect(r.mean).toBeCloseTo(0.3, 12)
    expect(r.sd).toBeCloseTo(Math.sqrt(0.00625), 12)
    expect(r.half).toBeCloseTo(2.776445 * Math.sqrt(0.00625) / Math.sqrt(5), 5)
    expect(r.half).toBeCloseTo(0.0981626, 6)
    expect(r.lo).toBeCloseTo(0.3 - 0.0981626, 6)
    expect(r.hi).toBeCloseTo(0.3 + 0.0981626, 6)
  })

  it('one seed has a mean and no interval; non-finite values are left out', () => {
    const r = meanInterval([0.4, NaN])
    expect(r.n).toBe(1)
    expect(r.mean).toBe(0.4)
    expect(r.half).toBeNaN()
    expect(sampleSd([1])).toBeNaN()
  })

  it('paired differences over the seeds both arms have', () => {
    const a = new Map([['1', 0.3], ['2', 0.5], ['3', 0.4]])
    const b = new Map([['1', 0.2], ['2', 0.45], ['3', 0.25], ['4', 0.9]])
    // differences 0.1, 0.05, 0.15: mean 0.1, sd 0.05, half 4.302653 · 0.05/√3 = 0.124207.
    const d = pairedDifference(a, b)
    expect(d.keys).toEqual(['1', '2', '3'])
    expect(d.mean).toBeCloseTo(0.1, 12)
    expect(d.sd).toBeCloseTo(0.05, 12)
    expect(d.half).toBeCloseTo(0.124207, 5)
  })
})

describe('normalizedArea', () => {
  it('is the trapezoid area over the x span', () => {
    expect(normalizedArea([0, 10, 20], [0, 1, 1])).toBeCloseTo(0.75, 12)
    expect(normalizedArea([5], [0.3])).toBe(0.3)
    expect(normalizedArea([], [])).toBeNaN()
  })
})
