import { grpoAdvantages, hicraAdvantage } from '../core/advantages'
import { planningMask } from '../core/alignment'
import type { SgMatcher } from '../core/matcher'
import type { AlgoName } from './config'
import type { RolloutRecord } from './protocol'
import type { Problem, Task } from './tasks'

// Turns sampled responses into scored rollouts (text, token spans, planning mask, verdict) and
// computes each algorithm's per-token advantages and update weights. The science (advantages,
// masks) comes from src/core; this file only lays it out over the packed batch.

export interface ScoredResponse {
  problem: Problem
  group: number
  ids: number[]
  text: string
  starts: Int32Array
  ends: Int32Array
  mask: Uint8Array
  reward: number
  correct: boolean
  errorType: RolloutRecord['errorType']
  answer: string | null
}

export function scoreResponses(task: Task, matcher: SgMatcher, problems: Problem[], groupSize: number, responses: number[][]): ScoredResponse[] {
  return responses.map((ids, i) => {
    const problem = problems[Math.floor(i / groupSize)]
    const d = task.tokenizer.decode(ids)
    const v = task.verify(problem, ids)
    return {
      problem,
      group: Math.floor(i / groupSize),
      ids,
      text: d.text,
      starts: d.starts,
      ends: d.ends,
      mask: planningMask(d.starts, d.ends, matcher.findOccurrences(d.text)),
      reward: v.reward,
      correct: v.correct,
      errorType: v.errorType,
      answer: v.answer
    }
  })
}

export interface TokenTargets {
  /** GRPO advantage per response. */
  responseAdvantages: Float64Array
  /** Per-token advantage over the packed batch [N·R]. */
  advantages: Float32Array
  /** Per-token weight of the policy term [N·R]: the response mask, or its top-entropy subset. */
  weights: Float32Array
}

export interface AdvantageOptions {
  algo: AlgoName
  groupSize: number
  normalizeStd: boolean
  alpha: number
  highEntropyFraction: number
}

/**
 * SPEC §3: GRPO advantages per group; HICRA adds α·|A| on planning tokens; `highent` keeps only
 * the top fraction of the step's response tokens by entropy (ties: earlier token first), the
 * "80/20" baseline of Wang et al. 2025c. `grpo` and `entropy` use A on every token.
 */
export function tokenTargets(scored: ScoredResponse[], r: number, entropies: Float32Array, opts: AdvantageOptions): TokenTargets {
  const n = scored.length
  const responseAdvantages = new Float64Array(n)
  for (let g = 0; g * opts.groupSize < n; g++) {
    const members = scored.slice(g * opts.groupSize, (g + 1) * opts.groupSize)
    const a = grpoAdvantages(members.map((s) => s.reward), { normalizeStd: opts.normalizeStd })
    responseAdvantages.set(a, g * opts.groupSize)
  }
  const advantages = new Float32Array(n * r)
  const weights = new Float32Array(n * r)
  scored.forEach((s, i) => {
    const A = responseAdvantages[i]
    const perToken = opts.algo === 'hicra' ? hicraAdvantage(A, s.mask, opts.alpha) : null
    for (let t = 0; t < s.ids.length; t++) {
      advantages[i * r + t] = perToken ? perToken[t] : A
      weights[i * r + t] = 1
    }
  })
  if (opts.algo === 'highent') {
    const idx: number[] = []
    for (let j = 0; j < weights.length; j++) if (weights[j] > 0) idx.push(j)
    idx.sort((a, b) => entropies[b] - entropies[a] || a - b)
    const keep = Math.ceil(opts.highEntropyFraction * idx.length)
    weights.fill(0)
    for (let j = 0; j < keep; j++) weights[idx[j]] = 1
  }
  return { responseAdvantages, advantages, weights }
}

export function toRecord(s: ScoredResponse, advantage: number, logprobs: Float32Array, entropies: Float32Array): RolloutRecord {
  return {
    promptId: s.problem.id,
    prompt: s.problem.prompt,
    response: s.text,
    reward: s.reward,
    correct: s.correct,
    errorType: s.errorType,
    answer: s.answer,
    gold: s.problem.gold,
    group: s.group,
    advantage,
    tokenIds: Int32Array.from(s.ids),
    tokenStarts: s.starts,
    tokenEnds: s.ends,
    logprobs,
    entropies,
    planningMask: s.mask
  }
}
