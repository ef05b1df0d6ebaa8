import { describe, expect, it } from 'vitest'
import {
  compileMatcher,
  grpoAdvantages,
  hicraAdvantage,
  planningMask,
  planningWordMask,
  splitWords,
  StepMetricsAccumulator
} from '../../src/core'
import { SPEC_A, SPEC_B, SPEC_SGS } from './fixtures'

// SPEC §6, every number.
describe('SPEC §6 worked example', () => {
  const m = compileMatcher(SPEC_SGS)
  const occA = m.findOccurrences(SPEC_A)
  const occB = m.findOccurrences(SPEC_B)
  const spans = (occ: { start: number; end: number; gram: number }[]) =>
    occ.map((o) => [SPEC_SGS[o.gram], o.start, o.end]).sort((x, y) => (x[1] as number) - (y[1] as number) || (x[2] as number) - (y[2] as number))

  it('splits A into 21 words and B into 19', () => {
    expect(splitWords(SPEC_A).count).toBe(21)
    expect(splitWords(SPEC_B).count).toBe(19)
  })

  it('finds the occurrences with their spans', () => {
    expect(spans(occA)).toEqual([
      ['wait let me check', 0, 18],
      ["let's try a different approach", 31, 61],
      ['try a different approach', 37, 61],
      ['we can use the fact', 63, 82]
    ])
    expect(SPEC_A.slice(0, 18)).toBe('Wait, let me check')
    expect(SPEC_A.slice(31, 61)).toBe('Let’s try a different approach')
    expect(spans(occB)).toEqual([
      ['but the problem mentions', 39, 63],
      ['wait let me check', 67, 84]
    ])
  })

  it('counts planning words 14 and 8', () => {
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0)
    expect(sum(planningWordMask(splitWords(SPEC_A), occA))).toBe(14)
    expect(sum(planningWordMask(splitWords(SPEC_B), occB))).toBe(8)
  })

  it('gives the step metrics', () => {
    const acc = new StepMetricsAccumulator(m)
    acc.add({ text: SPEC_A, score: 1, promptId: 'p1' })
    acc.add({ text: SPEC_B, score: 0, promptId: 'p1' })
    const r = acc.result()
    expect(r.rollouts).toBe(2)
    expect(r.planning_ratio).toBeCloseTo(0.55, 12)
    expect(Math.abs(r.semantic_entropy - 1.5607104090414063)).toBeLessThan(1e-12)
    expect(r.conditional_entropy).toBe(0)
    expect(r.accuracy).toBe(0.5)
    expect(r.length).toBe(20)
    expect(r.pass_at_1).toBe(0.5)
    expect(r.token_entropy).toBeUndefined()
  })

  it('gives the GRPO and HICRA advantages', () => {
    const adv = grpoAdvantages([1, 0])
    expect(Array.from(adv)).toEqual([0.5, -0.5])
    const a = hicraAdvantage(adv[0], Uint8Array.from([1, 0]), 0.2)
    const b = hicraAdvantage(adv[1], Uint8Array.from([1, 0]), 0.2)
    expect(a[0]).toBeCloseTo(0.6, 6)
    expect(a[1]).toBeCloseTo(0.5, 6)
    expect(b[0]).toBeCloseTo(-0.4, 6)
    expect(b[1]).toBeCloseTo(-0.5, 6)
  })

  it('aligns the first tokens of A', () => {
    const toks: [string, number, number][] = [
      ['Wait', 0, 4], [',', 4, 5], [' let', 5, 9], [' me', 9, 12], [' check', 12, 18], [':', 18, 19], [' 3', 19, 21]
    ]
    for (const [t, s, e] of toks) expect(SPEC_A.slice(s, e)).toBe(t)
    const mask = planningMask(Int32Array.from(toks.map((t) => t[1])), Int32Array.from(toks.map((t) => t[2])), occA)
    expect(Array.from(mask)).toEqual([1, 1, 1, 1, 1, 0, 0])
  })
})
