import { describe, expect, it } from 'vitest'
import { ContinuationCounter } from '../../src/core/continuationCounter'
import { WordVocab } from '../../src/core/vocab'

// Pairs keyed by vocabulary ids are held and counted a batch at a time (64 at first, doubling up
// to 4,096 a batch). These
// runs add several batches' worth, and read the counter between batches, in the middle of one,
// through toState/fromState and through mergeFrom: the tables must come out as if each pair had
// been counted at once, and the counts must be the naive ones.
const WORDS = Array.from({ length: 20 }, (_, i) => `w${i}`)

function vocab(): WordVocab {
  const v = new WordVocab()
  for (const w of WORDS) v.intern(w)
  v.freeze()
  return v
}

// A deterministic stream of (gram, a, b, c): few distinct pairs, so most repeat (counts > 1),
// and one in seven with a word outside the vocabulary (the span table).
// `wide`: words from all 20, so that most pairs are new.
function* pairs(n: number, seed: number, wide = false): Generator<[number, number, number, number]> {
  let x = seed
  const next = (m: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return (x >>> 8) % m
  }
  for (let i = 0; i < n; i++) yield wide ? [next(6), next(20), next(20), next(20)] : [next(6), next(5), next(4), next(7) === 0 ? -1 : next(3)]
}

// The text the spans point into: WORDS joined by spaces, then "zz" (not in the vocabulary).
const TEXT = [...WORDS, 'zz'].join(' ')
const start = (id: number) => (id < 0 ? TEXT.length - 2 : TEXT.indexOf(`w${id} `))
const end = (id: number) => (id < 0 ? TEXT.length : start(id) + `w${id}`.length)

function add(c: ContinuationCounter, [g, a, b, d]: [number, number, number, number]): void {
  c.addWords(g, a, b, d, TEXT, start(a), end(a), start(b), end(b), start(d), end(d))
}

function sums(c: ContinuationCounter): { ns: number[]; inner: number[] } {
  const ns = new Float64Array(6)
  const inner = new Float64Array(6)
  c.addEntropySums(ns, inner)
  return { ns: [...ns], inner: [...inner] }
}

function naive(stream: Iterable<[number, number, number, number]>): { ns: number[]; inner: number[] } {
  const counts = new Map<string, number>()
  for (const p of stream) counts.set(p.join(','), (counts.get(p.join(',')) ?? 0) + 1)
  const ns = new Array(6).fill(0)
  const inner = new Array(6).fill(0)
  for (const [k, v] of counts) {
    const g = Number(k.split(',')[0])
    ns[g] += v
    inner[g] += v * Math.log(v)
  }
  return { ns, inner }
}

describe('ContinuationCounter', () => {
  it('counts many batches of id-keyed pairs as the naive count does', () => {
    const c = new ContinuationCounter(16, vocab())
    for (const p of pairs(30_000, 7)) add(c, p)
    const got = sums(c)
    const want = naive(pairs(30_000, 7))
    expect(got.ns).toEqual(want.ns)
    got.inner.forEach((v, g) => expect(v).toBeCloseTo(want.inner[g]!, 9))
  })

  it('ends with the same tables whether read between batches, mid-batch or only at the end', () => {
    const v = vocab()
    const once = new ContinuationCounter(16, v)
    const read = new ContinuationCounter(16, v)
    let i = 0
    for (const p of pairs(20_000, 11)) {
      add(once, p)
      add(read, p)
      // Reads at odd moments: each counts what is pending first.
      if (++i % 1_777 === 0) read.toState()
    }
    expect(read.toState()).toEqual(once.toState())
    expect(sums(read)).toEqual(sums(once))
  })

  it('keeps pending pairs through toState/fromState and mergeFrom, on both sides', () => {
    const v = vocab()
    const whole = new ContinuationCounter(16, v)
    for (const p of pairs(25_000, 3)) add(whole, p)
    const a = new ContinuationCounter(16, v)
    const b = new ContinuationCounter(16, v)
    let i = 0
    for (const p of pairs(25_000, 3)) add(i++ < 9_000 ? a : b, p)
    // a's state taken with pairs pending; more pairs after it; b merged with pairs pending.
    const a2 = ContinuationCounter.fromState(structuredClone(a.toState()), v)
    const c = ContinuationCounter.fromState(structuredClone(a.toState()), v)
    a2.mergeFrom(b)
    c.mergeFrom(b)
    const want = naive(pairs(25_000, 3))
    for (const got of [sums(a2), sums(c)]) {
      expect(got.ns).toEqual(want.ns)
      got.inner.forEach((x, g) => expect(x).toBeCloseTo(want.inner[g]!, 9))
    }
    expect(sums(whole).ns).toEqual(want.ns)
  })

  it('merges as if the pairs pending on either side had been counted before the merge', () => {
    const v = vocab()
    const make = (seed: number, n: number) => {
      const c = new ContinuationCounter(16, v)
      for (const p of pairs(n, seed, true)) add(c, p)
      return c
    }
    // x merges with pairs pending on both sides; y's and its other side's were counted first.
    const x = make(5, 6_000)
    const y = make(5, 6_000)
    const bx = make(9, 5_000)
    const by = make(9, 5_000)
    y.toState()
    by.toState()
    x.mergeFrom(bx)
    y.mergeFrom(by)
    expect(x.toState()).toEqual(y.toState())
  })
})
