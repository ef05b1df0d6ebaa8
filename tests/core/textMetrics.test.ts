import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileMatcher, normalizePhrase, StepMetricsAccumulator, useCharPass, type CharPassKind } from '../../src/core'

// SPEC §1, §2 and the text metrics of §4 written the obvious way: regex words, every SG tried
// at every word, string-keyed maps. The accumulator's fast paths (dense goto table, word-id
// continuation keys, the character arena for words outside the SG vocabulary) must agree.
function naiveWords(text: string) {
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu
  const spans = [...text.matchAll(re)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, w: m[0] }))
  const norm = spans.map((s) => Array.from(s.w, (ch) => (ch === '’' ? "'" : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch)).join(''))
  const joined = spans.map((s, i) => i + 1 < spans.length && !/[.!?;:\n]/.test(text.slice(s.end, spans[i + 1].start)))
  return { norm, joined }
}

function naiveTextMetrics(phrases: string[], texts: string[]) {
  const grams = phrases.map(normalizePhrase)
  const gramCounts = new Map<number, number>()
  const cont = new Map<number, Map<string, number>>()
  let words = 0
  let planning = 0
  let occTotal = 0
  for (const text of texts) {
    const { norm, joined } = naiveWords(text)
    const occ: [number, number, number][] = []
    grams.forEach((g, gi) => {
      for (let i = 0; g.length > 0 && i + g.length <= norm.length; i++) {
        if (g.every((w, k) => norm[i + k] === w && (k + 1 === g.length || joined[i + k]))) occ.push([gi, i, i + g.length])
      }
    })
    const isPlanning = norm.map((_, i) => occ.some(([, a, b]) => i >= a && i < b))
    words += norm.length
    planning += isPlanning.filter(Boolean).length
    for (const [g, , e] of occ) {
      occTotal++
      gramCounts.set(g, (gramCounts.get(g) ?? 0) + 1)
      if (e + 3 <= norm.length && !isPlanning[e] && !isPlanning[e + 1] && !isPlanning[e + 2]) {
        const key = norm.slice(e, e + 3).join(' ')
        const m = cont.get(g) ?? new Map<string, number>()
        m.set(key, (m.get(key) ?? 0) + 1)
        cont.set(g, m)
      }
    }
  }
  const H = (counts: number[]) => {
    const t = counts.reduce((a, b) => a + b, 0)
    return t > 0 ? -counts.reduce((s, c) => s + (c / t) * Math.log(c / t), 0) : 0
  }
  let kept = 0
  for (const m of cont.values()) for (const c of m.values()) kept += c
  let conditional = 0
  for (const m of cont.values()) {
    const cs = [...m.values()]
    conditional += (cs.reduce((a, b) => a + b, 0) / kept) * H(cs)
  }
  return {
    length: texts.length > 0 ? words / texts.length : 0,
    planning_ratio: words > 0 ? planning / words : 0,
    semantic_entropy: occTotal > 0 ? H([...gramCounts.values()]) : 0,
    conditional_entropy: conditional
  }
}

// SG words, words outside every SG (numbers, non-ASCII, astral), case and apostrophe variants.
const SG_WORDS = ['wait', 'let', 'me', 'check', "let's", 'try', 'a', 'b', 'the']
const OTHER = ['Wait', 'LET', 'Let’s', 'x', '42', '7', 'sum', 'équation', 'Ünï', '𝐀b', 'now', 'A']
const SEPS = [' ', ' ', ' ', ' ', ', ', '. ', ': ', '\n', ' $', '; ']

const phrase = fc.array(fc.constantFrom(...SG_WORDS, 'x', '42', 'équation'), { minLength: 2, maxLength: 4 }).map((ws) => ws.join(' '))
// Texts made of SG phrases (so occurrences and kept continuations are common) and single words.
const phrasesAndTexts = fc.uniqueArray(phrase, { minLength: 1, maxLength: 10, selector: (p) => normalizePhrase(p).join(' ') }).chain((phrases) => {
  // Words of the SG set itself too: continuations whose three words all have vocabulary ids.
  const inVocab = [...new Set(phrases.flatMap((p) => p.split(' ')))]
  const piece = fc.oneof(fc.constantFrom(...phrases), fc.constantFrom(...inVocab), fc.constantFrom(...inVocab), fc.constantFrom(...OTHER))
  const text = fc.array(fc.tuple(piece, fc.constantFrom(...SEPS)), { maxLength: 30 }).map((ps) => ps.map(([w, s]) => w + s).join(''))
  return fc.tuple(fc.constant(phrases), fc.array(text, { minLength: 1, maxLength: 8 }))
})

// Every test runs with the JS scan and with the WebAssembly one (every text through it).
describe.each(['js', 'wasm'] as CharPassKind[])('text metrics against a naive implementation (%s scan)', (kind) => {
  beforeAll(() => {
    expect(useCharPass(kind, { minChars: 0 })).toBe(kind)
  })
  afterAll(() => {
    useCharPass('wasm')
  })

  it('counts continuations made of SG-vocabulary words and of other words apart', () => {
    const m = compileMatcher(['wait let', 'me check', 'try a'])
    const acc = new StepMetricsAccumulator(m)
    // After "wait let": (check a me) ×2, (check a try) ×1, (check a X) ×2 with X outside the vocabulary.
    acc.add({ text: 'wait let check a me. wait let check a try. Wait let check a me. wait let check A 42. wait let check a 42' })
    const H = (cs: number[]) => -cs.reduce((s, c) => s + (c / 5) * Math.log(c / 5), 0)
    expect(acc.result().conditional_entropy).toBeCloseTo(H([2, 1, 2]), 12)
    const other = new StepMetricsAccumulator(m)
    other.add({ text: 'wait let check a me' })
    expect(acc.merge(other).result().conditional_entropy).toBeCloseTo(-[3, 1, 2].reduce((s, c) => s + (c / 6) * Math.log(c / 6), 0), 12)
  })

  it('agree on random texts and SG sets, on every matcher path and through merge (also of cloned states)', () => {
    fc.assert(
      fc.property(phrasesAndTexts, fc.nat(8), ([phrases, texts], cut) => {
        const want = naiveTextMetrics(phrases, texts)
        for (const denseGotoLimit of [undefined, 0]) {
          const m = compileMatcher(phrases, { denseGotoLimit })
          const scanned = new StepMetricsAccumulator(m)
          const given = new StepMetricsAccumulator(m)
          const a = new StepMetricsAccumulator(m)
          const b = new StepMetricsAccumulator(m)
          texts.forEach((t, i) => {
            scanned.add({ text: t })
            given.add({ text: t, occurrences: m.findOccurrences(t) })
            ;(i < cut ? a : b).add({ text: t })
          })
          // Parts that crossed threads as states (structured clone), merged entry by entry.
          const a2 = StepMetricsAccumulator.fromState(m, structuredClone(a.toState()))
          const b2 = StepMetricsAccumulator.fromState(m, structuredClone(b.toState()))
          for (const got of [scanned.result(), given.result(), a2.merge(b2).result(), a.merge(b).result()]) {
            for (const k of Object.keys(want) as (keyof typeof want)[]) expect(got[k]).toBeCloseTo(want[k], 12)
          }
        }
      }),
      { numRuns: 300 }
    )
  })
})
