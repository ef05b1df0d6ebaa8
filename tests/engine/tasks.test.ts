import { describe, expect, it } from 'vitest'
import { compileMatcher, planningMask } from '../../src/core'
import { Rng } from '../../src/engine/rng'
import { createTask } from '../../src/engine/tasks'
import { TASKS } from '../../src/engine/config'

const perfect = { strategyErrorRate: 0, executionErrorRate: 0, reflectionRate: 0 }

describe.each(TASKS)('task %s', (name) => {
  const task = createTask(name)

  it('keeps test problems out of training', () => {
    const test = new Set(task.testSet(64).map((p) => p.id))
    expect(test.size).toBe(64)
    const rng = new Rng(3)
    for (let i = 0; i < 2000; i++) expect(test.has(task.sampleTrain(rng).id)).toBe(false)
  })

  it('is seeded: the same seed draws the same problems and traces', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed)
      return Array.from({ length: 20 }, () => {
        const p = task.sampleTrain(rng)
        return [p.id, task.teacher(p, rng, { strategyErrorRate: 0.5, executionErrorRate: 0.3, reflectionRate: 0.5 })]
      })
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
  })

  it('a perfect teacher is always right, fits the context and uses its planning phrases', () => {
    const rng = new Rng(1)
    const matcher = compileMatcher(task.sgSet.grams.map((g) => g.phrase))
    for (let i = 0; i < 300; i++) {
      const p = task.sampleTrain(rng)
      expect(p.promptIds.length).toBe(task.promptLength)
      const ids = task.teacher(p, rng, perfect)
      expect(ids.length).toBeLessThanOrEqual(task.maxResponseLength)
      expect(task.verify(p, ids)).toMatchObject({ correct: true, reward: 1, errorType: null })
      const d = task.tokenizer.decode(ids)
      const occ = matcher.findOccurrences(d.text)
      expect(occ.length).toBeGreaterThan(0)
      const mask = planningMask(d.starts, d.ends, occ)
      const share = mask.reduce((a, b) => a + b, 0) / mask.length
      // Planning tokens are a minority, as in the paper's traces.
      expect(share).toBeGreaterThan(0)
      expect(share).toBeLessThan(0.5)
    }
  })

  it('labels failures with their true cause', () => {
    const rng = new Rng(2)
    const counts = { planning: 0, calculation: 0, format: 0 }
    for (let i = 0; i < 400; i++) {
      const p = task.sampleTrain(rng)
      const strat = task.teacher(p, rng, { strategyErrorRate: 1, executionErrorRate: 0, reflectionRate: 0 })
      const v1 = task.verify(p, strat)
      // A wrong strategy executed perfectly can land on the right answer only by coincidence.
      if (!v1.correct) counts[v1.errorType!]++, expect(v1.errorType).toBe('planning')
      const exec = task.teacher(p, rng, { strategyErrorRate: 0, executionErrorRate: 1, reflectionRate: 0 })
      const v2 = task.verify(p, exec)
      if (!v2.correct) counts[v2.errorType!]++, expect(v2.errorType).toBe('calculation')
      const cut = exec.slice(0, exec.length - 3)
      expect(task.verify(p, cut)).toMatchObject({ correct: false, answer: null, errorType: 'format' })
    }
    expect(counts.planning).toBeGreaterThan(200)
    expect(counts.calculation).toBeGreaterThan(200)
  })

  it('tokens carry their character spans', () => {
    const rng = new Rng(4)
    const p = task.sampleTrain(rng)
    const ids = task.teacher(p, rng, perfect)
    const d = task.tokenizer.decode(ids)
    ids.slice(0, -1).forEach((id, i) => expect(d.text.slice(d.starts[i], d.ends[i])).toBe(task.tokenizer.vocab[id]))
    expect(d.starts[ids.length - 1]).toBe(d.text.length)
    expect(task.tokenizer.encode(d.text)).toEqual(ids.slice(0, -1))
  })
})

describe('route traces', () => {
  it('reflect in words when a wrong strategy is caught', () => {
    const task = createTask('route')
    const rng = new Rng(5)
    const p = task.sampleTrain(rng)
    const ids = task.teacher(p, rng, { strategyErrorRate: 1, executionErrorRate: 0, reflectionRate: 1 })
    const text = task.tokenizer.decode(ids).text
    expect(text).toMatch(/wait, the first number is (odd|even), so we (add|subtract) instead\./)
    expect(task.verify(p, ids).correct).toBe(true)
  })
})
