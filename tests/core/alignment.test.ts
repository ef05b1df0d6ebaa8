import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Tokenizer } from '@huggingface/tokenizers'
import {
  compileMatcher,
  planningMask,
  TokenAlignmentError,
  tokenSpansFromStrings,
  tokenSpansFromTokenizer,
  type Occurrence
} from '../../src/core'
import { SPEC_A, SPEC_SGS, tinyTokenizerJson } from './fixtures'

const occ = (start: number, end: number): Occurrence => ({ gram: 0, firstWord: 0, endWord: 1, start, end })

describe('planningMask', () => {
  it('uses strict overlap: touching is not overlapping', () => {
    const starts = Int32Array.from([0, 3, 5, 5, 8])
    const ends = Int32Array.from([3, 5, 5, 8, 9])
    expect(Array.from(planningMask(starts, ends, [occ(3, 5), occ(5, 8)]))).toEqual([0, 1, 0, 1, 0])
  })

  it('handles unsorted tokens and occurrences', () => {
    const starts = Int32Array.from([10, 0, 4])
    const ends = Int32Array.from([12, 2, 6])
    expect(Array.from(planningMask(starts, ends, [occ(11, 20), occ(0, 1)]))).toEqual([1, 1, 0])
  })

  it('never marks a token outside every occurrence span, and marks every overlapping one', () => {
    const span = fc.tuple(fc.nat(60), fc.nat(10)).map(([s, l]) => [s, s + l] as const)
    fc.assert(
      fc.property(fc.array(span, { maxLength: 30 }), fc.array(span.filter(([s, e]) => e > s), { maxLength: 8 }), (toks, occs) => {
        const mask = planningMask(Int32Array.from(toks.map((t) => t[0])), Int32Array.from(toks.map((t) => t[1])), occs.map(([s, e]) => occ(s, e)))
        toks.forEach(([a, b], t) => {
          const overlaps = occs.some(([s, e]) => a < e && s < b)
          expect(mask[t]).toBe(overlaps ? 1 : 0)
        })
      }),
      { numRuns: 1000 }
    )
  })
})

describe('tokenSpansFromStrings', () => {
  it('gives spans of tokens that concatenate to the text', () => {
    const r = tokenSpansFromStrings(['Wait', ',', ' let'], 'Wait, let')
    expect(Array.from(r.starts)).toEqual([0, 4, 5])
    expect(Array.from(r.ends)).toEqual([4, 5, 9])
  })

  it('names the token where the concatenation diverges', () => {
    expect(() => tokenSpansFromStrings(['Wait', ' ,', ' let'], 'Wait, let')).toThrow(/token 1 \(" ,"\)/)
    try {
      tokenSpansFromStrings(['Wait', ' ,'], 'Wait, let')
    } catch (e) {
      expect(e).toBeInstanceOf(TokenAlignmentError)
      expect((e as TokenAlignmentError).tokenIndex).toBe(1)
    }
    expect(() => tokenSpansFromStrings(['Wait'], 'Wait, let')).toThrow(/cover 4 of 9/)
  })
})

describe('tokenSpansFromTokenizer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hicra-tok-'))
  const file = join(dir, 'tokenizer.json')
  writeFileSync(file, JSON.stringify(tinyTokenizerJson()))
  const json = readFileSync(file, 'utf8')

  it('aligns byte-level BPE tokens, merged and multi-byte alike', () => {
    const text = 'Wait, let me check: 😀 日本 don’t'
    const r = tokenSpansFromTokenizer(new Tokenizer(JSON.parse(json), {}), text)
    expect(r.tokens.slice(0, 5)).toEqual(['Wait', ',', 'Ġlet', 'Ġme', 'Ġcheck'])
    const pieces = Array.from(r.starts, (s, i) => text.slice(s, r.ends[i]))
    expect(pieces.slice(0, 6)).toEqual(['Wait', ',', ' let', ' me', ' check', ':'])
    // the four byte tokens of 😀 all get its span
    expect(pieces.filter((p) => p === '😀')).toHaveLength(4)
    // spans cover the text in order
    for (let i = 1; i < r.starts.length; i++) expect(r.starts[i]).toBeGreaterThanOrEqual(r.starts[i - 1])
    expect(r.ends[r.ends.length - 1]).toBe(text.length)
  })

  it('feeds planningMask (SPEC §6 A)', () => {
    const r = tokenSpansFromTokenizer(new Tokenizer(tinyTokenizerJson(), {}), SPEC_A)
    const mask = planningMask(r.starts, r.ends, compileMatcher(SPEC_SGS).findOccurrences(SPEC_A))
    expect(Array.from(mask.slice(0, 7))).toEqual([1, 1, 1, 1, 1, 0, 0])
  })
})
