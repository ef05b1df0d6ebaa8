import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { grpoAdvantages, groupTokenAdvantages, hicraAdvantage, passAtK } from '../../src/core'

describe('grpoAdvantages', () => {
  it('subtracts the group mean; a group of one gets 0', () => {
    expect(Array.from(grpoAdvantages([1, 0, 0, 1]))).toEqual([0.5, -0.5, -0.5, 0.5])
    expect(Array.from(grpoAdvantages([3]))).toEqual([0])
    expect(Array.from(grpoAdvantages([]))).toEqual([])
  })

  it('optionally divides by population std + 1e-6', () => {
    const a = grpoAdvantages([1, 0], { normalizeStd: true })
    expect(a[0]).toBeCloseTo(0.5 / (0.5 + 1e-6), 12)
    expect(Array.from(grpoAdvantages([2, 2], { normalizeStd: true }))).toEqual([0, 0])
  })
})

describe('hicraAdvantage', () => {
  it('boosts planning tokens by α|A|', () => {
    expect(Array.from(hicraAdvantage(-0.5, Uint8Array.from([1, 0]), 0.2))).toEqual([Math.fround(-0.4), -0.5])
  })

  it('rejects α outside [0, 1], naming alpha', () => {
    expect(() => hicraAdvantage(1, new Uint8Array(1), 1.5)).toThrow(RangeError)
    expect(() => hicraAdvantage(1, new Uint8Array(1), -0.1)).toThrow(/alpha/)
    expect(() => hicraAdvantage(1, new Uint8Array(1), NaN)).toThrow(/alpha/)
  })

  it('with α = 0 equals GRPO on every token', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.uint8Array({ min: 0, max: 1, maxLength: 20 }), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        (rewards, masks, normalizeStd) => {
          const ms = masks.slice(0, rewards.length)
          const grpo = grpoAdvantages(rewards, { normalizeStd })
          const per = groupTokenAdvantages(rewards, ms, { method: 'hicra', alpha: 0, normalizeStd })
          per.forEach((arr, i) => arr.forEach((v) => expect(v).toBe(Math.fround(grpo[i]))))
          const g = groupTokenAdvantages(rewards, ms, { method: 'grpo', normalizeStd })
          expect(g).toEqual(per)
        }
      )
    )
  })
})

describe('passAtK', () => {
  function exact(n: number, c: number, k: number): number {
    // 1 − C(n−c,k)/C(n,k) with BigInt binomials
    const C = (a: number, b: number): bigint => {
      if (b < 0 || b > a) return 0n
      let r = 1n
      for (let i = 0; i < b; i++) r = (r * BigInt(a - i)) / BigInt(i + 1)
      return r
    }
    const num = C(n - c, k)
    const den = C(n, k)
    const scale = 10n ** 30n
    return 1 - Number((num * scale) / den) / 1e30
  }

  it('matches the exact binomial form, up to n = 1024', () => {
    for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [16, 0, 4], [16, 16, 4], [1024, 1, 1], [1024, 7, 100], [1024, 512, 1000], [1024, 3, 1024]]) {
      expect(Math.abs(passAtK(n, c, k) - exact(n, c, k))).toBeLessThan(1e-12)
    }
    expect(passAtK(8, 3, 1)).toBeCloseTo(3 / 8, 15)
  })

  it('rejects bad arguments', () => {
    expect(() => passAtK(4, 5, 1)).toThrow(RangeError)
    expect(() => passAtK(4, 1, 5)).toThrow(RangeError)
  })
})
