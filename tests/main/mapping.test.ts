import { describe, expect, it } from 'vitest'
import { FieldResolver, parseMapArgs } from '../../src/main/import/mapping'
import { RecordError, RecordExtractor, type RolloutRec } from '../../src/main/import/records'

describe('FieldResolver', () => {
  it('finds an optional field first met many records in (error_type only on failures)', () => {
    const r = new FieldResolver({})
    for (let i = 0; i < 50; i++) {
      const rec = { input: 'q', output: `a${i}`, score: 1, step: 3 }
      expect(r.get(rec, 'response')).toBe(`a${i}`)
      expect(r.get(rec, 'error_type')).toBeUndefined()
      expect(r.get(rec, 'logprobs')).toBeUndefined()
    }
    const failed = { input: 'q', output: 'b', score: 0, step: 3, errorType: 'arithmetic' }
    expect(r.get(failed, 'error_type')).toBe('arithmetic')
    expect(r.resolved()).toMatchObject({ response: 'output', error_type: 'errorType' })
    // Once fixed, the field is read by its name; a record without it gives undefined.
    expect(r.get({ output: 'c' }, 'error_type')).toBeUndefined()
    expect(r.get({ output: 'c', errorType: 'x', error_type: 'y' }, 'error_type')).toBe('x')
  })

  it('takes the first default name in order of preference when a record has several', () => {
    const r = new FieldResolver({})
    const rec = { text: 't', response: 'r', completion: 'c' }
    expect(r.get(rec, 'response')).toBe('r')
    // Another open field asked of the same record after one was fixed.
    expect(r.get({ pred: ['1'], answer: '2', response: 'x' }, 'answer')).toEqual(['1'])
  })

  it('follows user paths, dotted ones into nested objects', () => {
    const r = new FieldResolver(parseMapArgs(['response=gen.text', 'score=reward']))
    expect(r.get({ gen: { text: 'hi' }, reward: 0.5, score: 9 }, 'response')).toBe('hi')
    expect(r.get({ gen: { text: 'hi' }, reward: 0.5, score: 9 }, 'score')).toBe(0.5)
    expect(r.get({ gen: 'flat' }, 'response')).toBeUndefined()
  })
})

describe('RecordExtractor', () => {
  const bad: string[] = []
  const onBad = (i: number, e: RecordError) => bad.push(`${i}: ${e.message}`)

  it('reads verl lines and a late error_type field', () => {
    const x = new RecordExtractor({})
    const out: RolloutRec[] = []
    x.extract({ input: 'p', output: 'o', score: 1, step: 2, acc: true }, null, out, onBad)
    x.extract({ input: 'p', output: 'o2', score: 0, step: 2, acc: false, error_type: 'planning' }, null, out, onBad)
    expect(out.map((r) => [r.step, r.prompt, r.response, r.score, r.correct, r.errorType])).toEqual([
      [2, 'p', 'o', 1, true, null],
      [2, 'p', 'o2', 0, false, 'planning']
    ])
    expect(bad).toEqual([])
  })

  it('names the missing field and the names it looked for', () => {
    const x = new RecordExtractor({})
    expect(() => x.extract({ input: 'p', score: 1 }, null, [], onBad)).toThrow(/missing field "response" \(looked for response, output/)
  })
})
