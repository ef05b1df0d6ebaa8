import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileMatcher, planningMask } from '../../src/core'
import { baseSeedOf, parseTrainConfig } from '../../src/engine/config'
import type { TrainStepEvent, WarmupProgress } from '../../src/engine/protocol'
import { Rng } from '../../src/engine/rng'
import { createTask } from '../../src/engine/tasks'
import { STRATEGIES, StrategyTask, type StrategyProblem } from '../../src/engine/tasks/strategy'
import { runTraining } from '../../src/engine/trainer'
import { useWasm } from './helpers'

const task = createTask('strategy') as StrategyTask
const eos = task.tokenizer.eosId
const ids = (text: string, end = true) => [...task.tokenizer.encode(text), ...(end ? [eos] : [])]
// 3, 4, 2 and target 14: only "times plus" reaches it (3 + 4 + 2 = 9, 3 + 4 - 2 = 5, 3 * 4 - 2 = 10).
const p = task.make([3, 4, 2], 2)

describe('strategy task: problems', () => {
  it('words the prompt after the right plan', () => {
    expect(p.prompt).toBe('3 groups of 4, 2 more, target 14.')
    expect(task.make([3, 4, 2], 1).prompt).toBe('3 and 4, 2 fewer, target 5.')
    const rng = new Rng(4)
    for (let i = 0; i < 500; i++) {
      const q = task.sampleTrain(rng) as StrategyProblem
      const s = STRATEGIES[q.right]
      expect(q.prompt.includes('groups of')).toBe(s.first === 'times')
      expect(q.prompt.includes('more')).toBe(s.second === 'plus')
      expect(q.promptIds.length).toBe(task.promptLength)
    }
  })

  it('has one right plan per problem, the one that reaches the target', () => {
    expect(p.gold).toBe('14')
    const rng = new Rng(9)
    const seen = [0, 0, 0, 0]
    for (let i = 0; i < 2000; i++) {
      const q = task.sampleTrain(rng) as StrategyProblem
      const [a, b, c] = q.nums
      const values = [a + b + c, a + b - c, a * b + c, a * b - c]
      expect(values.filter((v) => v === q.target)).toHaveLength(1)
      expect(values.indexOf(q.target)).toBe(q.right)
      seen[q.right]++
    }
    // Each plan is right for about a quarter of the problems, so no plan is a safe default.
    for (const n of seen) expect(n / 2000).toBeGreaterThan(0.18)
  })

  it('draws the same problems and traces for the same seed, and other ones for another', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed)
      return Array.from({ length: 30 }, () => {
        const q = task.sampleTrain(rng)
        return task.tokenizer.decode(task.teacher(q, rng, { strategyErrorRate: 0.5, executionErrorRate: 0.2, reflectionRate: 0.5 })).text
      })
    }
    expect(draw(5)).toEqual(draw(5))
    expect(draw(5)).not.toEqual(draw(6))
  })

  it('never draws a test problem for training', () => {
    const test = task.testSet(48)
    const ids = new Set(test.map((q) => q.id))
    expect(ids.size).toBe(48)
    const rng = new Rng(12)
    for (let i = 0; i < 20000; i++) expect(ids.has(task.sampleTrain(rng).id)).toBe(false)
    expect(task.testSet(48).map((q) => q.id)).toEqual(test.map((q) => q.id))
  })
})

describe('strategy task: verifier', () => {
  it.each([
    ['the right plan, executed', 'times plus. 3 * 4 = 12. 12 + 2 = 14. 14 is the target. answer 14', true, null],
    ['a slip repaired by a check', 'times plus. 3 * 4 = 13. wait, let me check. 3 * 4 = 12. 12 + 2 = 14. 14 is the target. answer 14', true, null],
    ['a wrong plan abandoned for the right one', 'plus plus. 3 + 4 = 7. 7 + 2 = 9. 9 is not the target. let\'s try a different approach. times plus. 3 * 4 = 12. 12 + 2 = 14. 14 is the target. answer 14', true, null],
    ['a wrong plan, executed well', 'plus plus. 3 + 4 = 7. 7 + 2 = 9. 9 is not the target. answer 9', false, 'planning'],
    ['the right plan abandoned for a wrong one', 'times plus. 3 * 4 = 12. 12 + 2 = 14. let\'s try a different approach. times minus. 3 * 4 = 12. 12 - 2 = 10. answer 10', false, 'planning'],
    ['no plan at all', '3 * 4 = 12. 12 + 2 = 14. answer 14', false, 'planning'],
    ['a wrong plan that copies the target as its answer', 'times minus. 3 * 4 = 12. 12 - 2 = 10. 10 is not the target. answer 14', false, 'planning'],
    ['the right plan with a slip', 'times plus. 3 * 4 = 13. 13 + 2 = 15. 15 is not the target. answer 15', false, 'calculation'],
    ['the right plan with a wrongly copied operand', 'times plus. 3 * 4 = 12. 13 + 2 = 15. answer 15', false, 'calculation'],
    ['the right work and a copied target over a slip', 'times plus. 3 * 4 = 12. 12 + 2 = 15. 15 is not the target. answer 14', false, 'calculation'],
    ['the right plan whose answer is not its result', 'times plus. 3 * 4 = 12. 12 + 2 = 14. 14 is the target. answer 12', false, 'calculation'],
    ['the right plan with a step missing', 'times plus. 3 * 4 = 12. answer 14', false, 'calculation']
  ])('%s', (_name, text, correct, errorType) => {
    expect(task.verify(p, ids(text))).toMatchObject({ correct, reward: correct ? 1 : 0, errorType })
  })

  it('calls a response without a final answer a format error', () => {
    const done = 'times plus. 3 * 4 = 12. 12 + 2 = 14. 14 is the target.'
    expect(task.verify(p, ids(done))).toMatchObject({ correct: false, answer: null, errorType: 'format' })
    // Cut off before <eos>, or an answer that is not a number.
    expect(task.verify(p, ids(done + ' answer 14', false))).toMatchObject({ errorType: 'format' })
    expect(task.verify(p, ids(done + ' answer +'))).toMatchObject({ errorType: 'format' })
  })
})

/** What the teacher's words say it did: its last plan, and whether that plan's work was right. */
function readTrace(q: StrategyProblem, text: string): { lastPlan: number; sound: boolean; answer: number } {
  const plans = [...text.matchAll(/(plus|times) (plus|minus)\./g)]
  const last = plans[plans.length - 1]
  const lastPlan = STRATEGIES.findIndex((s) => s.first === last[1] && s.second === last[2])
  const tail = text.slice(last.index!).replace(/\d+ \S \d+ = \d+\. wait, let me check\. /g, '')
  const steps = [...tail.matchAll(/(\d+) (\S) (\d+) = (\d+)\./g)].map((m) => m.slice(1))
  const ev = (x: string, op: string, y: string) => (op === '+' ? +x + +y : op === '-' ? +x - +y : +x * +y)
  const answer = Number(/answer (\d+)$/.exec(text)![1])
  const sound = steps.length === 2 && steps.every((s) => ev(s[0], s[1], s[2]) === +s[3]) && +steps[0][3] === +steps[1][0] &&
    +steps[0][0] === q.nums[0] && +steps[0][2] === q.nums[1] && +steps[1][2] === q.nums[2] && +steps[1][3] === answer
  return { lastPlan, sound, answer }
}

describe('strategy task: teacher', () => {
  it('writes traces that parse, fit the context and verify as what they did', () => {
    const rng = new Rng(21)
    const rates = { strategyErrorRate: 0.5, executionErrorRate: 0.15, reflectionRate: 0.4 }
    const kinds = { correct: 0, planning: 0, calculation: 0, switched: 0, checked: 0 }
    for (let i = 0; i < 1500; i++) {
      const q = task.sampleTrain(rng) as StrategyProblem
      const r = task.teacher(q, rng, rates)
      expect(r[r.length - 1]).toBe(eos)
      expect(r.length).toBeLessThanOrEqual(task.maxResponseLength)
      const text = task.tokenizer.decode(r).text
      expect(task.tokenizer.encode(text)).toEqual(r.slice(0, -1))
      const t = readTrace(q, text)
      const v = task.verify(q, r)
      const expected = t.lastPlan !== q.right ? 'planning' : t.sound ? null : 'calculation'
      expect(v.errorType, text).toBe(expected)
      expect(v.correct).toBe(expected === null)
      kinds[expected ?? 'correct']++
      if (text.includes('different approach')) kinds.switched++
      if (text.includes('let me check')) kinds.checked++
    }
    for (const n of Object.values(kinds)) expect(n).toBeGreaterThan(50)
  })

  it('reflects rarely at the warm-up defaults', () => {
    const w = parseTrainConfig({ task: 'strategy' }).warmup
    const rates = { strategyErrorRate: w.strategyErrorRate, executionErrorRate: w.executionErrorRate, reflectionRate: w.reflectionRate }
    const rng = new Rng(3)
    let reflective = 0
    for (let i = 0; i < 2000; i++) {
      const text = task.tokenizer.decode(task.teacher(task.sampleTrain(rng), rng, rates)).text
      if (/different approach|let me check/.test(text)) reflective++
    }
    expect(reflective / 2000).toBeGreaterThan(0.02)
    expect(reflective / 2000).toBeLessThan(0.2)
  })

  it('has a Strategic Gram set that marks the plans and the reflective moves and nothing else', () => {
    const matcher = compileMatcher(task.sgSet.grams.map((g) => g.phrase))
    const rng = new Rng(8)
    const rates = { strategyErrorRate: 0.6, executionErrorRate: 0.2, reflectionRate: 0.5 }
    const PLANNING = /^((plus|times) (plus|minus)|let's try a different approach|wait, let me check)$/
    for (let i = 0; i < 400; i++) {
      const r = task.teacher(task.sampleTrain(rng), rng, rates)
      const d = task.tokenizer.decode(r)
      const mask = planningMask(d.starts, d.ends, matcher.findOccurrences(d.text))
      // Rebuild the phrases from the marked tokens: each run of marked tokens is one whole phrase.
      const runs: string[] = []
      let cur: number[] = []
      for (let t = 0; t <= r.length; t++) {
        if (t < r.length && mask[t] === 1) cur.push(t)
        else if (cur.length > 0) {
          runs.push(d.text.slice(d.starts[cur[0]], d.ends[cur[cur.length - 1]]))
          cur = []
        }
      }
      for (const run of runs) expect(run, d.text).toMatch(PLANNING)
      const phrases = (d.text.match(/(plus|times) (plus|minus)\.|let's try a different approach|wait, let me check/g) ?? []).length
      expect(runs.length, d.text).toBe(phrases)
    }
  })
})

describe('strategy task: training', () => {
  beforeAll(useWasm)
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('has its own defaults, which a given key overrides', () => {
    const c = parseTrainConfig({ task: 'strategy', model: { dModel: 32 }, warmup: { steps: 5 } })
    expect(c.model).toMatchObject({ dModel: 32, layers: 2, heads: 4, context: 100 })
    expect(c.warmup).toMatchObject({ steps: 5, batchSize: 32, strategyErrorRate: 0.5 })
    expect(parseTrainConfig({}).model.dModel).toBe(128)
    expect(baseSeedOf(parseTrainConfig({ seed: 4 }))).toBe(4)
    expect(baseSeedOf(parseTrainConfig({ seed: 4, warmup: { seed: 1 } }))).toBe(1)
  })

  it('trains end to end, and RL seeds with one warm-up seed share one cached base policy', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'hicra-strategy-'))
    dirs.push(ws)
    const config = (seed: number) => ({
      task: 'strategy', algo: 'hicra', steps: 2, seed, backend: 'wasm',
      model: { layers: 1, dModel: 32, heads: 2, ffMult: 2 },
      warmup: { steps: 6, batchSize: 8, seed: 77 },
      eval: { every: 2, problems: 2, samples: 2, passK: 2 },
      batchPrompts: 2, groupSize: 4, minibatchSize: 8, checkpointEvery: 0
    })
    const run = async (seed: number) => {
      const steps: TrainStepEvent[] = []
      const warm: WarmupProgress[] = []
      const r = await runTraining(config(seed), { onStep: (e) => void steps.push(e), onWarmup: (w) => void warm.push(w) },
        { runId: `s${seed}`, workspace: ws })
      return { r, steps, warm }
    }
    const a = await run(1)
    expect(a.r.status).toBe('completed')
    // The warm-up reports before its first step and then with its rate and ETA.
    expect(a.warm[0]).toMatchObject({ step: 0, steps: 6, cached: false, rate: null, etaS: null })
    const last = a.warm[a.warm.length - 1]
    expect(last).toMatchObject({ step: 6, steps: 6, cached: false, etaS: 0 })
    expect(last.rate).toBeGreaterThan(0)
    expect(last.elapsedS).toBeGreaterThan(0)
    expect(a.steps.map((s) => s.step)).toEqual([1, 2])
    expect(a.steps[0].metrics.updates).toBeGreaterThan(0)
    expect(a.steps[1].metrics.test_pass_at_1).toBeTypeOf('number')
    for (const ro of a.steps[0].rollouts) expect(ro.correct ? ro.errorType === null : ro.errorType !== null).toBe(true)
    const b = await run(2)
    expect(b.warm).toEqual([expect.objectContaining({ cached: true })])
    expect(b.steps.map((s) => s.step)).toEqual([1, 2])
    // Same base, another RL seed: other problems and samples from the first step on.
    expect(b.steps[0].rollouts.map((r) => r.prompt)).not.toEqual(a.steps[0].rollouts.map((r) => r.prompt))
  })
})
