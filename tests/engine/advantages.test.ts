import { describe, expect, it } from 'vitest'
import { tokenTargets, type ScoredResponse } from '../../src/engine/rollouts'

function resp(reward: number, mask: number[]): ScoredResponse {
  return {
    problem: { id: 'p', promptIds: [], prompt: '', gold: '' },
    group: 0,
    ids: mask.map(() => 5),
    text: '',
    starts: new Int32Array(mask.length),
    ends: new Int32Array(mask.length),
    mask: Uint8Array.from(mask),
    reward,
    correct: reward > 0,
    errorType: reward > 0 ? null : 'planning',
    answer: null
  }
}

const opts = { groupSize: 2, normalizeStd: false, alpha: 0.2, highEntropyFraction: 0.2 }

describe('tokenTargets', () => {
  const scored = [resp(1, [1, 0, 0]), resp(0, [0, 1])]
  const r = 4
  const ent = Float32Array.from([0.1, 0.9, 0.2, 0, 0.5, 0.3, 0, 0])

  it('GRPO: A_i on every response token, padding weighted 0', () => {
    const t = tokenTargets(scored, r, ent, { ...opts, algo: 'grpo' })
    expect(Array.from(t.responseAdvantages)).toEqual([0.5, -0.5])
    expect(Array.from(t.advantages)).toEqual([0.5, 0.5, 0.5, 0, -0.5, -0.5, 0, 0])
    expect(Array.from(t.weights)).toEqual([1, 1, 1, 0, 1, 1, 0, 0])
  })

  it('HICRA: planning tokens get A + α|A| (SPEC §6: +0.6 and −0.4)', () => {
    const t = tokenTargets(scored, r, ent, { ...opts, algo: 'hicra' })
    expect(Array.from(t.advantages).map((x) => +x.toFixed(6))).toEqual([0.6, 0.5, 0.5, 0, -0.5, -0.4, 0, 0])
  })

  it('highent: only the top 20% of response tokens by entropy are updated', () => {
    const t = tokenTargets(scored, r, ent, { ...opts, algo: 'highent' })
    // 5 response tokens → ⌈0.2·5⌉ = 1: the 0.9 one.
    expect(Array.from(t.weights)).toEqual([0, 1, 0, 0, 0, 0, 0, 0])
  })
})
