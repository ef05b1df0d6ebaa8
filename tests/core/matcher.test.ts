import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileMatcher, normalizePhrase, splitWords, type Occurrence, useCharPass, type CharPassKind } from '../../src/core'
import { rng as seeded } from '../helpers/rng'

// O(words × SGs): try every SG at every word.
function naiveOccurrences(phrases: string[], text: string): Occurrence[] {
  const w = splitWords(text)
  const grams = phrases.map(normalizePhrase)
  const out: Occurrence[] = []
  grams.forEach((g, gi) => {
    if (g.length === 0) return
    for (let i = 0; i + g.length <= w.count; i++) {
      let ok = true
      for (let k = 0; k < g.length && ok; k++) {
        if (w.norm(i + k) !== g[k]) ok = false
        if (k + 1 < g.length && w.joined[i + k] === 0) ok = false
      }
      if (ok) out.push({ gram: gi, firstWord: i, endWord: i + g.length, start: w.starts[i], end: w.ends[i + g.length - 1] })
    }
  })
  return out
}

const key = (o: Occurrence) => `${o.firstWord}:${o.endWord}:${o.gram}:${o.start}:${o.end}`
const sorted = (occ: Occurrence[]) => occ.map(key).sort()

/** Words w0…w(n−1) and every 2- and 3-gram of them as phrases: big goto tables with an occurrence at every joined window. */
function everyBigramAndTrigram(n: number): { words: string[]; phrases: string[] } {
  const words = Array.from({ length: n }, (_, i) => `w${i}`)
  const phrases: string[] = []
  for (const a of words) for (const b of words) {
    phrases.push(`${a} ${b}`)
    for (const c of words) phrases.push(`${a} ${b} ${c}`)
  }
  return { words, phrases }
}

const VOCAB = ['wait', 'Wait', 'let', 'me', 'check', 'let’s', "let's", 'try', 'a', 'a', 'a', 'b', 'different', 'approach', 'the']
const SEPS = [' ', ' ', ' ', ', ', '. ', ': ', '\n', ' - ', ';']

// Every test runs with the JS scan and with the WebAssembly one (every text through it).
describe.each(['js', 'wasm'] as CharPassKind[])('compileMatcher (%s scan)', (kind) => {
  beforeAll(() => {
    expect(useCharPass(kind, { minChars: 0 })).toBe(kind)
  })
  afterAll(() => {
    useCharPass('wasm')
  })

  it('finds an SG at the very end of the text', () => {
    const m = compileMatcher(['let me check'])
    expect(m.findOccurrences('ok, let me check')).toEqual([{ gram: 0, firstWord: 1, endWord: 4, start: 4, end: 16 }])
  })

  it('does not match across ":" or any other break', () => {
    const m = compileMatcher(['wait let me check', 'let me check'])
    expect(m.findOccurrences('Wait: let me check').map((o) => o.gram)).toEqual([1])
    expect(m.findOccurrences('wait\nlet me check').map((o) => o.gram)).toEqual([1])
    expect(m.findOccurrences('wait, let me check').map((o) => o.gram).sort()).toEqual([0, 1])
  })

  it('treats ’ and \' alike and ignores case', () => {
    const m = compileMatcher(["Let's try"])
    expect(m.findOccurrences('LET’S TRY it')).toHaveLength(1)
  })

  it('reports overlapping occurrences, including self-overlaps', () => {
    const m = compileMatcher(['a a', 'a a a'])
    const occ = m.findOccurrences('a a a a')
    expect(sorted(occ)).toEqual(sorted(naiveOccurrences(['a a', 'a a a'], 'a a a a')))
    expect(occ).toHaveLength(5)
  })

  it('handles empty text, empty set and CJK/emoji', () => {
    expect(compileMatcher(['a b']).findOccurrences('')).toEqual([])
    expect(compileMatcher([]).findOccurrences('a b c')).toEqual([])
    const m = compileMatcher(['日本 語'])
    expect(m.findOccurrences('😀日本 語😀')).toEqual([{ gram: 0, firstWord: 0, endWord: 2, start: 2, end: 6 }])
  })

  it('uses words split elsewhere (another vocabulary or none)', () => {
    const m = compileMatcher(['let me check'])
    const text = 'so let me check'
    expect(m.findOccurrences(text, splitWords(text))).toEqual(m.findOccurrences(text))
  })

  it('matches a table too big for one chain (two halves split at a break) like the naive matcher, in order', () => {
    // Every 2- and 3-gram of 12 words: a goto table past 16K entries, and an occurrence at every
    // joined window, so a match lost or invented at the split shows at once.
    const { words, phrases } = everyBigramAndTrigram(12)
    const m = compileMatcher(phrases)
    const edges = compileMatcher(phrases, { denseGotoLimit: 0 })
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.constantFrom(' ', ' ', ' ', ' ', '. ', ', ', '\n')), { minLength: 64, maxLength: 160 }), (parts) => {
        const t = parts.map(([w, sep]) => words[w] + sep).join('')
        const occ = m.findOccurrences(t)
        expect(sorted(occ)).toEqual(sorted(naiveOccurrences(phrases, t)))
        // Same order as the single-chain path: by end word, shorter first.
        expect(occ.map(key)).toEqual(edges.findOccurrences(t).map(key))
      }),
      { numRuns: 25 }
    )
  })

  it('matches with a goto table of Int32 entries (past 65,536 nodes) as without a dense table, in order', () => {
    // Every 2- and 3-gram of 42 words: 75,895 nodes, so the dense table holds Int32 entries.
    const { words, phrases } = everyBigramAndTrigram(42)
    const m = compileMatcher(phrases)
    expect((m as unknown as { dense: { delta: unknown } }).dense.delta).toBeInstanceOf(Int32Array)
    const edges = compileMatcher(phrases, { denseGotoLimit: 0 })
    const rng = seeded(3)
    const seps = [' ', ' ', ' ', ' ', '. ', ', ', '\n']
    for (let t = 0; t < 40; t++) {
      const parts: string[] = []
      for (let i = Math.floor(rng() * 400); i > 0; i--) parts.push(words[Math.floor(rng() * 42)]! + seps[Math.floor(rng() * seps.length)]!)
      const text = parts.join('')
      expect(m.findOccurrences(text).map(key)).toEqual(edges.findOccurrences(text).map(key))
    }
  })

  it('equals the naive matcher on random texts and SG sets', () => {
    const text = fc.array(fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(...SEPS)), { maxLength: 30 }).map((ps) => ps.map(([w, s]) => w + s).join(''))
    const phrase = fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' '))
    fc.assert(
      fc.property(fc.array(phrase, { maxLength: 12 }), text, (phrases, t) => {
        const naive = sorted(naiveOccurrences(phrases, t))
        expect(sorted(compileMatcher(phrases).findOccurrences(t))).toEqual(naive)
        // Without the dense goto table: the edge hash table and failure links.
        expect(sorted(compileMatcher(phrases, { denseGotoLimit: 0 }).findOccurrences(t))).toEqual(naive)
      }),
      { numRuns: 1000 }
    )
  })
})
