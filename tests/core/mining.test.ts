import { describe, expect, it } from 'vitest'
import { cueScore, SgMiner } from '../../src/core'

describe('SgMiner', () => {
  it('counts n-grams in successes and failures, folds nested duplicates', () => {
    const miner = new SgMiner({ minN: 3, maxN: 5 })
    miner.addResponse({ text: "Wait, let me check the sum. Let's try a different approach.", correct: true, step: 1 })
    miner.addResponse({ text: "Hmm. Let’s try a different approach now", correct: true, step: 2 })
    miner.addResponse({ text: 'so x = 3 + 4 gives 7. wait let me check', correct: false, step: 2 })
    miner.addResponse({ text: 'wait let me check again', correct: true, step: 3 })
    const cands = miner.candidates({ minSupport: 2, limit: 50 })
    const byPhrase = new Map(cands.map((c) => [c.phrase, c]))
    const c = byPhrase.get("let's try a different approach")!
    expect(c).toBeDefined()
    expect(c.successCount).toBe(2)
    expect(c.failureCount).toBe(0)
    expect(c.steps).toEqual([1, 2])
    // "try a different approach", "let's try a different", ... only occur inside it: folded
    expect(byPhrase.has('try a different approach')).toBe(false)
    expect(c.folded).toContain('try a different approach')
    expect(c.folded).toContain("let's try a")
    const w = byPhrase.get('wait let me check')!
    expect([w.successDocs, w.failureDocs, w.docFreq]).toEqual([2, 1, 3])
    // lift = ((2+1)/(3+2)) / ((1+1)/(1+2))
    expect(w.lift).toBeCloseTo((3 / 5) / (2 / 3), 12)
    // "wait let me" also occurs inside "wait let me check the" (once) but as often as "wait let me check": folded there
    expect(byPhrase.has('wait let me')).toBe(false)
  })

  it('never crosses a break', () => {
    const miner = new SgMiner({ minN: 2, maxN: 3 })
    miner.addResponse({ text: 'alpha beta. gamma delta', correct: true })
    miner.addResponse({ text: 'alpha beta. gamma delta', correct: true })
    const phrases = miner.candidates({ fold: false }).map((c) => c.phrase).sort()
    expect(phrases).toEqual(['alpha beta', 'gamma delta'])
  })

  it('scores strategic cues above arithmetic', () => {
    expect(cueScore(['wait', 'let', 'me', 'check'])).toBeGreaterThan(cueScore(['x', '3', 'gives']))
    expect(cueScore(['the', 'value', 'of'], 1)).toBeLessThan(cueScore(['the', 'value', 'of'], 0))
  })

  it('keeps memory bounded by pruning rare n-grams', () => {
    const miner = new SgMiner({ minN: 3, maxN: 3, maxTracked: 100 })
    for (let i = 0; i < 200; i++) {
      miner.addResponse({ text: `so we need to find w${i} v${i} u${i} t${i} s${i}`, correct: true, step: i })
      expect(miner.tracked).toBeLessThanOrEqual(100)
    }
    const top = miner.candidates({ sortBy: 'support', limit: 1 })[0]
    expect(top.phrase).toMatch(/we need to|so we need|need to find/)
    expect(top.successDocs).toBeGreaterThan(100)
  })

  it('rejects sizes outside 2..8', () => {
    expect(() => new SgMiner({ minN: 1 })).toThrow(RangeError)
    expect(() => new SgMiner({ maxN: 9 })).toThrow(RangeError)
  })
})
