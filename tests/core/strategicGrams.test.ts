import { describe, expect, it } from 'vitest'
import { countErrorTypes, DEFAULT_ERROR_TAXONOMY, makeErrorLabel, normalizePhrase, parseSgSetJson, serializeSgSet, validateGrams, validateTaxonomy } from '../../src/core'

describe('Strategic Gram sets', () => {
  it('normalizes through words', () => {
    expect(normalizePhrase("Let’s try, a DIFFERENT approach")).toEqual(["let's", 'try', 'a', 'different', 'approach'])
  })

  it('validates length, breaks and duplicates', () => {
    const v = validateGrams(["let's try", 'Let’s TRY', 'one', 'a b c d e f g h i', 'wait: check', 'fine phrase'])
    expect(v.ok).toBe(false)
    expect(v.errors.map((e) => e.index)).toEqual([1, 2, 3, 4])
    expect(v.errors[0].message).toMatch(/duplicates entry 0/)
    expect(v.errors[1].message).toMatch(/1 word/)
  })

  it('reads the object form and a bare list, and writes it back', () => {
    const set = parseSgSetJson(JSON.stringify({ name: 's', grams: [{ phrase: 'wait let me check', category: 'backtracing' }] }))
    expect(set).toEqual({ name: 's', grams: [{ phrase: 'wait let me check', category: 'backtracing', source: 'imported' }] })
    expect(parseSgSetJson(serializeSgSet(set))).toEqual(set)
    const bare = parseSgSetJson('["try a different approach", "we can use the fact"]', 'dir/my set.json')
    expect(bare.name).toBe('my set')
    expect(bare.grams).toHaveLength(2)
  })

  it('names the bad entries', () => {
    expect(() => parseSgSetJson('{"grams": [{"phrase": "ok then"}, 3, {"category": "other"}]}', 'x.json')).toThrow(/entry 1[\s\S]*entry 2/)
    expect(() => parseSgSetJson('{"grams": [{"phrase": "ok then", "category": "nope"}]}')).toThrow(/unknown category "nope"/)
    expect(() => parseSgSetJson('{bad', 'x.json')).toThrow(/not valid JSON in x.json/)
    expect(() => parseSgSetJson('{"name": "x"}')).toThrow(/"grams"/)
  })
})

describe('error taxonomy', () => {
  it('has the four SPEC types and keeps label sources', () => {
    expect(validateTaxonomy(DEFAULT_ERROR_TAXONOMY)).toEqual([])
    const labels = [makeErrorLabel(DEFAULT_ERROR_TAXONOMY, 'planning', 'truth'), makeErrorLabel(DEFAULT_ERROR_TAXONOMY, 'format', 'judge', 'gpt')]
    expect(labels[1]).toEqual({ errorType: 'format', source: 'judge', detail: 'gpt' })
    expect(countErrorTypes(DEFAULT_ERROR_TAXONOMY, labels).byGroup).toEqual({ 'Planning & Strategy': 1, Others: 1 })
    expect(() => makeErrorLabel(DEFAULT_ERROR_TAXONOMY, 'typo', 'manual')).toThrow(/unknown error type/)
    expect(() => makeErrorLabel(DEFAULT_ERROR_TAXONOMY, 'planning', 'guess' as never)).toThrow(/label source/)
  })
})
