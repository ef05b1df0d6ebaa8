import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileMatcher, scanWords, scratch, splitWords, useCharPass, WordVocab, type CharPassKind } from '../../src/core'
import { rng as seeded } from '../helpers/rng'

// The SPEC §1 definition written the obvious way, as the reference.
function naiveWords(text: string) {
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu
  const out: { start: number; end: number; norm: string }[] = []
  for (const m of text.matchAll(re)) {
    const start = m.index!
    const end = start + m[0].length
    const norm = Array.from(m[0], (ch) => {
      if (ch === '’') return "'"
      const l = ch.toLowerCase()
      return l.length === ch.length ? l : ch
    }).join('')
    out.push({ start, end, norm })
  }
  const joined = out.map((w, i) => (i + 1 < out.length && !/[.!?;:\n]/.test(text.slice(w.end, out[i + 1].start)) ? 1 : 0))
  return { out, joined }
}

function list(text: string) {
  const w = splitWords(text)
  return Array.from({ length: w.count }, (_, i) => [w.norm(i), w.starts[i], w.ends[i], w.joined[i]])
}

// Lone surrogates, doubled and trailing apostrophes and "s" after one probe the scanner's slow
// paths and its joining of words around apostrophes.
const PIECES = ['Wait', 'let', 'Let’s', "let's", 'LET', 'a', 'x1', '42', '日本語', 'é', 'Ünïcode', '😀', '𝐀b', ' ', ', ', '. ', ':', ';', '!', '?', '\n', "'", '’', "''", 's', 'S', '$', '\\', '{', '-', '—', 'İ', '\ud835', '\udc00']

// Every test of splitWords runs with each character pass, every text through it (minChars 0).
describe.each(['js', 'wasm'] as CharPassKind[])('splitWords (%s character pass)', (kind) => {
  beforeAll(() => {
    expect(useCharPass(kind, { minChars: 0 })).toBe(kind)
  })
  afterAll(() => {
    useCharPass('wasm')
  })

  it('handles empty and punctuation-only text', () => {
    expect(splitWords('').count).toBe(0)
    const p = splitWords('... !?; :: --- $$ \\{}')
    expect(p.count).toBe(0)
    expect(p.joined.length).toBe(0)
  })

  it('joins apostrophes between letters and reads ’ as \'', () => {
    expect(list("Let’s don't 'quoted' dogs' end'")).toEqual([
      ["let's", 0, 5, 1],
      ["don't", 6, 11, 1],
      ['quoted', 13, 19, 1],
      ['dogs', 21, 25, 1],
      ['end', 27, 30, 0]
    ])
  })

  it('treats emoji as separators and CJK runs as words', () => {
    expect(list('ok😀go 日本語です。次')).toEqual([
      ['ok', 0, 2, 1],
      ['go', 4, 6, 1],
      ['日本語です', 7, 12, 1],
      ['次', 13, 14, 0]
    ])
  })

  it('breaks at . ! ? ; : and newline only', () => {
    const w = splitWords('a, b. c! d? e; f: g\nh - i ( j')
    expect(Array.from(w.joined)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 1, 0])
  })

  it('gives ids from a vocabulary, -1 for unknown words when frozen', () => {
    const v = new WordVocab()
    v.intern("let's")
    v.intern('try')
    v.frozen = true
    const w = splitWords('Let’s TRY this', v)
    expect(Array.from(w.ids!)).toEqual([0, 1, -1])
    expect(v.size).toBe(2)
  })

  it('gives the same ids through a frozen vocabulary\'s automaton as through its hash table', () => {
    const words = ["let's", 'let', 's', 'try', 'a', 'different', 'approach', 'wait', 'x1', '42', 'ab', "rock'n'roll", 'n']
    const viaDfa = new WordVocab()
    const viaHash = new WordVocab()
    for (const w of words) {
      viaDfa.intern(w)
      viaHash.intern(w)
    }
    viaDfa.freeze()
    viaHash.frozen = true
    expect(viaDfa.dfa).not.toBeNull()
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES, 'try', 'TRY', 'ab', 'abc', 'different', 'x1', 'x12', 'rock', 'n', 'roll'), { maxLength: 40 }), (parts) => {
        const text = parts.join('')
        const a = splitWords(text, viaDfa)
        const b = splitWords(text, viaHash)
        expect(Array.from(a.ids!)).toEqual(Array.from(b.ids!))
        expect(Array.from(a.starts)).toEqual(Array.from(b.starts))
        expect(Array.from(a.joined)).toEqual(Array.from(b.joined))
      }),
      { numRuns: 500 }
    )
  })

  it('matches the regex definition on random text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (parts) => {
        const text = parts.join('')
        const ref = naiveWords(text)
        const w = splitWords(text)
        expect(w.count).toBe(ref.out.length)
        for (let i = 0; i < w.count; i++) {
          expect([w.starts[i], w.ends[i], w.norm(i)]).toEqual([ref.out[i].start, ref.out[i].end, ref.out[i].norm])
        }
        expect(Array.from(w.joined)).toEqual(ref.joined)
        // the same with a growing vocabulary: ids agree with normalized forms
        const v = new WordVocab()
        const wv = splitWords(text, v)
        for (let i = 0; i < wv.count; i++) expect(v.words[wv.ids![i]]).toBe(ref.out[i].norm)
      }),
      { numRuns: 500 }
    )
  })
})

describe('the wasm character pass', () => {
  afterAll(() => {
    useCharPass('wasm')
  })

  // A scan's whole record (scratch's contract): each word's start, state, end and id slots
  // (4k to 4k + 3), the flags of the gap after each (4k + 5), and the ids the states accept.
  function scan(kind: CharPassKind, text: string, vocab?: WordVocab): number[] {
    useCharPass(kind, { minChars: 0 })
    const count = scanWords(text, vocab)
    const b = scratch.bounds
    const out = [count]
    for (let k = 0; k < count; k++) out.push(b[4 * k]!, b[4 * k + 1]!, b[4 * k + 2]!, b[4 * k + 3]!, b[4 * k + 5]!, vocab ? scratch.accept[b[4 * k + 3]!]! : 0)
    return out
  }

  it('writes what the JS pass writes, on long random texts, with and without an automaton', () => {
    const vocab = (compileMatcher(["let's try a different approach", 'wait let me check', 'rock n roll', 'x1 42']) as unknown as { vocab: WordVocab }).vocab
    expect(vocab.dfa).not.toBeNull()
    const rng = seeded(7)
    const pool = [...PIECES, 'try', 'TRY', 'different', 'approach', 'wait', 'let me', 'check', 'x1', 'rock', 'n', 'roll', 'e\u0301', '\u00a0', '\t']
    for (let t = 0; t < 300; t++) {
      const parts: string[] = []
      const len = Math.floor(rng() * (t < 250 ? 400 : 6000))
      for (let i = 0; i < len; i++) parts.push(pool[Math.floor(rng() * pool.length)]!)
      const text = parts.join(rng() < 0.5 ? '' : ' ')
      for (const v of [vocab, undefined]) expect(scan('wasm', text, v)).toEqual(scan('js', text, v))
    }
  })

  it('reads an automaton of more than 256 states (whose states times 256 do not fit 16 bits) as the JS pass does', () => {
    // 60 random ten-letter words: some 500 states.
    const letters = seeded(5)
    const words = Array.from({ length: 60 }, () => Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(letters() * 26))).join(''))
    const vocab = (compileMatcher(words.map((w, i) => `${w} ${words[(i + 7) % 60]}`)) as unknown as { vocab: WordVocab }).vocab
    expect(vocab.dfa!.scan.length / 128).toBeGreaterThan(256)
    const rng = seeded(11)
    const pool = [...PIECES, ...words, ...words.map((w) => w.slice(0, 5)), ...words.map((w) => w.toUpperCase())]
    for (let t = 0; t < 100; t++) {
      const parts: string[] = []
      for (let i = Math.floor(rng() * 800); i > 0; i--) parts.push(pool[Math.floor(rng() * pool.length)]!)
      const text = parts.join(rng() < 0.5 ? '' : ' ')
      expect(scan('wasm', text, vocab)).toEqual(scan('js', text, vocab))
    }
  })

  it('grows its memory for a text past its first pages, and stays right after', () => {
    const big = 'Wait, let’s try a different approach: x1 = 42. 日本語 😀 '.repeat(60_000)
    const small = "don't stop. go’"
    for (const text of [small, big, small, big.slice(0, 100_001)]) expect(scan('wasm', text)).toEqual(scan('js', text))
  })

  it('answers for every BMP character as chars.ts does', () => {
    // One text with each non-surrogate BMP code unit once, between spaces: word or not, each is read as chars.ts reads it.
    const units: string[] = []
    for (let c = 128; c < 65536; c++) if (c < 0xd800 || c > 0xdfff) units.push(String.fromCharCode(c))
    const text = units.join(' ')
    expect(scan('wasm', text)).toEqual(scan('js', text))
  })
})
