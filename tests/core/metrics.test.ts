import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileMatcher, RelativePerplexityTracker, StepMetricsAccumulator, tokenSpansFromStrings, type RolloutInput } from '../../src/core'
import { SPEC_A, SPEC_B, SPEC_SGS } from './fixtures'

const m = compileMatcher(SPEC_SGS)

function tokenize(text: string, cuts: number[]): RolloutInput {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const tokens: string[] = []
  let prev = 0
  for (const p of [...points, text.length]) {
    if (p > prev) tokens.push(text.slice(prev, p))
    prev = Math.max(prev, p)
  }
  const { starts, ends } = tokenSpansFromStrings(tokens, text)
  return { text, tokenStarts: starts, tokenEnds: ends }
}

describe('StepMetricsAccumulator token metrics', () => {
  // Tokens: "Wait" ", let" " me check" ":" " 3" → planning 1,1,1,0,0
  const toks = ['Wait', ', let', ' me check', ':', ' 3 + 4']
  const text = toks.join('')
  const spans = tokenSpansFromStrings(toks, text)
  const r: RolloutInput = {
    text,
    correct: true,
    tokenStarts: spans.starts,
    tokenEnds: spans.ends,
    entropies: Float32Array.from([2, 1, 1, 1, 0.5]),
    logprobs: Float32Array.from([-1, -2, -3, -0.5, -0.25])
  }

  it('splits entropy and perplexity by class', () => {
    const acc = new StepMetricsAccumulator(compileMatcher(['wait let me check']))
    acc.add(r)
    const res = acc.result()
    expect(res.length).toBe(5)
    expect(res.planning_ratio).toBeCloseTo(0.6, 12)
    expect(res.token_entropy).toBeCloseTo(5.5 / 5, 7)
    expect(res.token_entropy_planning).toBeCloseTo(4 / 3, 7)
    expect(res.token_entropy_execution).toBeCloseTo(0.75, 7)
    expect(res.perplexity_planning).toBeCloseTo(Math.exp(2), 6)
    expect(res.perplexity_execution).toBeCloseTo(Math.exp(0.375), 6)
    // top ⌈0.3·5⌉ = 2 tokens: entropy 2 (token 0) and the earliest of the 1s (token 1): both planning
    expect(res.high_entropy_planning_share).toBe(1)
    expect(res.planning_high_entropy_share).toBeCloseTo(2 / 3, 12)
  })

  it('breaks ties toward earlier tokens', () => {
    const acc = new StepMetricsAccumulator(compileMatcher(['wait let me check']))
    acc.add({ ...r, entropies: Float32Array.from([0, 0, 0, 1, 1]) })
    acc.add({ ...r, entropies: Float32Array.from([1, 1, 1, 1, 1]) })
    // N = 10, top 3: tokens 3, 4 of the first response (execution) and token 0 of the second (planning)
    const res = acc.result()
    expect(res.high_entropy_planning_share).toBeCloseTo(1 / 3, 12)
    expect(res.planning_high_entropy_share).toBeCloseTo(1 / 6, 12)
  })

  it('reports only what the input supports', () => {
    const acc = new StepMetricsAccumulator(m, { passK: [1, 2, 4] })
    expect(acc.result()).toEqual({ rollouts: 0 })
    acc.add({ text: '' })
    expect(acc.result()).toEqual({ rollouts: 1, length: 0, planning_ratio: 0, semantic_entropy: 0, conditional_entropy: 0 })
    acc.add({ text: 'x', promptId: 'p', correct: true })
    acc.add({ text: 'y', promptId: 'p', score: 0 })
    const res = acc.result()
    expect(res.pass_at_1).toBe(0.5)
    expect(res.pass_at_2).toBe(1)
    expect(res.pass_at_4).toBeUndefined()
  })

  it('rejects per-token arrays of the wrong length', () => {
    const acc = new StepMetricsAccumulator(m)
    expect(() => acc.add({ ...r, entropies: new Float32Array(3) })).toThrow(/entropies has 3 entries but there are 5 tokens/)
  })

  it('computes conditional entropy over kept continuations', () => {
    const acc = new StepMetricsAccumulator(compileMatcher(['wait let me check']))
    acc.add({ text: 'wait let me check the sum now. wait let me check the sum now. wait let me check x y z.' })
    // one SG, continuations {the sum now: 2, x y z: 1}
    const p = [2 / 3, 1 / 3]
    expect(acc.result().conditional_entropy).toBeCloseTo(-p.reduce((s, q) => s + q * Math.log(q), 0), 12)
  })

  it('tells apart continuations whose keys hash alike', () => {
    // 'x3rnw b c' and 'xkpba b c' after gram 0 have the same 32-bit key hash and length (found by
    // search): only the comparison of their characters keeps them two continuations (ln 2).
    const sg = compileMatcher(['wait let me check'])
    const acc = new StepMetricsAccumulator(sg)
    acc.add({ text: 'wait let me check x3rnw b c. wait let me check xkpba b c.' })
    expect(acc.result().conditional_entropy).toBeCloseTo(Math.log(2), 12)
    // The same through merge (keys compared arena to arena) and across a cloned state.
    const a = new StepMetricsAccumulator(sg)
    const b = new StepMetricsAccumulator(sg)
    a.add({ text: 'wait let me check x3rnw b c.' })
    b.add({ text: 'wait let me check xkpba b c.' })
    const b2 = StepMetricsAccumulator.fromState(sg, structuredClone(b.toState()))
    expect(a.merge(b2).result().conditional_entropy).toBeCloseTo(Math.log(2), 12)
  })
})

describe('merge', () => {
  const texts = [SPEC_A, SPEC_B, 'wait let me check the fact that a b c', 'try a different approach now please ok', 'nothing here', '']

  it('equals one accumulator over the union, also through toState/fromState', () => {
    const rollout = fc
      .record({
        t: fc.constantFrom(...texts),
        score: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
        pid: fc.option(fc.constantFrom('p1', 'p2', 'p3'), { nil: undefined }),
        cuts: fc.option(fc.array(fc.nat(200), { maxLength: 30 }), { nil: undefined }),
        seed: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 200, maxLength: 200 })
      })
      .map(({ t, score, pid, cuts, seed }) => {
        const r: RolloutInput = { text: t, score, promptId: pid }
        if (cuts) {
          const tk = tokenize(t, cuts)
          const n = tk.tokenStarts!.length
          Object.assign(r, tk, {
            entropies: Float32Array.from(seed.slice(0, n), (v) => Math.round(Math.abs(v) * 2) / 2),
            logprobs: Float32Array.from(seed.slice(0, n), (v) => -Math.abs(v))
          })
        }
        return r
      })
    fc.assert(
      fc.property(fc.array(rollout, { maxLength: 12 }), fc.nat(12), (rs, cut) => {
        const opts = { passK: [1, 2, 3] }
        const all = new StepMetricsAccumulator(m, opts)
        const a = new StepMetricsAccumulator(m, opts)
        const b = new StepMetricsAccumulator(m, opts)
        rs.forEach((r, i) => {
          all.add(r)
          ;(i < cut ? a : b).add(r)
        })
        const u = all.result()
        // The same parts sent across threads first (structured clone of their states).
        const a2 = StepMetricsAccumulator.fromState(m, structuredClone(a.toState()), opts)
        const b2 = StepMetricsAccumulator.fromState(m, structuredClone(b.toState()), opts)
        expect(a2.result()).toEqual(a.result())
        const mg = a.merge(b).result()
        expect(a2.merge(b2).result()).toEqual(mg)
        expect(Object.keys(mg).sort()).toEqual(Object.keys(u).sort())
        for (const k of Object.keys(u)) expect(mg[k]).toBeCloseTo(u[k], 10)
      }),
      { numRuns: 300 }
    )
  })
})

describe('RelativePerplexityTracker', () => {
  it('divides by the first step that has each class', () => {
    const t = new RelativePerplexityTracker()
    expect(t.add(1, { perplexity_execution: 2 })).toEqual({ relative_perplexity_execution: 1 })
    expect(t.add(2, { perplexity_planning: 4, perplexity_execution: 1 })).toEqual({ relative_perplexity_planning: 1, relative_perplexity_execution: 0.5 })
    expect(t.add(3, { perplexity_planning: 2 })).toEqual({ relative_perplexity_planning: 0.5 })
  })
})
