import { lowerUnit } from './chars'
import { hashSpan, hashWord } from './vocab'

/**
 * Counts (SG, next three words) pairs for conditional_entropy. Entries are found by a hash of
 * the gram and the three normalized words, then confirmed against the stored key, so counts
 * are exact. Keys live in one growing UTF-16 arena (normalized words separated by spaces), not
 * as strings: on arithmetic-heavy text nearly every pair is new (numbers), and a string per
 * pair would make this the most expensive part of the metrics.
 */
export class ContinuationCounter {
  private grams: Int32Array
  private hashes: Int32Array
  private counts: Float64Array
  private keyOff: Int32Array
  private keyLen: Int32Array
  private arena = new Uint16Array(4096)
  private arenaUsed = 0
  private mask: number
  size = 0

  constructor(capacity = 1024) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.grams = new Int32Array(cap)
    this.hashes = new Int32Array(cap)
    this.counts = new Float64Array(cap)
    this.keyOff = new Int32Array(cap)
    this.keyLen = new Int32Array(cap)
    this.mask = cap - 1
  }

  /** Counts gram `g` followed by the words at spans (s0,e0), (s1,e1), (s2,e2) of `text`. */
  addSpans(g: number, text: string, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number): void {
    const h = combine(g, hashSpan(text, s0, e0), hashSpan(text, s1, e1), hashSpan(text, s2, e2))
    const len = e0 - s0 + e1 - s1 + e2 - s2 + 2
    let slot = h & this.mask
    for (;;) {
      const c = this.counts[slot]
      if (c === 0) break
      if (this.hashes[slot] === h && this.grams[slot] === g && this.keyLen[slot] === len && this.sameKey(this.keyOff[slot], text, s0, e0, s1, e1, s2, e2)) {
        this.counts[slot] = c + 1
        return
      }
      slot = (slot + 1) & this.mask
    }
    this.reserve(len)
    const arena = this.arena
    const off = this.arenaUsed
    let k = off
    for (let i = s0; i < e0; i++) arena[k++] = lowerUnit(text.charCodeAt(i))
    arena[k++] = 32
    for (let i = s1; i < e1; i++) arena[k++] = lowerUnit(text.charCodeAt(i))
    arena[k++] = 32
    for (let i = s2; i < e2; i++) arena[k++] = lowerUnit(text.charCodeAt(i))
    this.arenaUsed = k
    this.insert(slot, g, h, off, len, 1)
  }

  /** Counts a pair given as its key (three normalized words joined by single spaces). */
  addKey(g: number, key: string, n: number): void {
    const [a, b, c] = key.split(' ')
    const h = combine(g, hashWord(a), hashWord(b), hashWord(c))
    let slot = h & this.mask
    for (;;) {
      const cnt = this.counts[slot]
      if (cnt === 0) break
      if (this.hashes[slot] === h && this.grams[slot] === g && this.keyOf(slot) === key) {
        this.counts[slot] = cnt + n
        return
      }
      slot = (slot + 1) & this.mask
    }
    this.reserve(key.length)
    const off = this.arenaUsed
    for (let i = 0; i < key.length; i++) this.arena[off + i] = key.charCodeAt(i)
    this.arenaUsed += key.length
    this.insert(slot, g, h, off, key.length, n)
  }

  forEach(fn: (gram: number, key: string, count: number) => void): void {
    for (let s = 0; s < this.counts.length; s++) if (this.counts[s] > 0) fn(this.grams[s], this.keyOf(s), this.counts[s])
  }

  /** Calls fn with each gram and count, without building keys. */
  forEachCount(fn: (gram: number, count: number) => void): void {
    for (let s = 0; s < this.counts.length; s++) if (this.counts[s] > 0) fn(this.grams[s], this.counts[s])
  }

  private keyOf(slot: number): string {
    const off = this.keyOff[slot]
    let out = ''
    for (let i = 0; i < this.keyLen[slot]; i++) out += String.fromCharCode(this.arena[off + i])
    return out
  }

  private sameKey(off: number, text: string, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number): boolean {
    const a = this.arena
    let k = off
    for (let i = s0; i < e0; i++) if (a[k++] !== lowerUnit(text.charCodeAt(i))) return false
    k++
    for (let i = s1; i < e1; i++) if (a[k++] !== lowerUnit(text.charCodeAt(i))) return false
    k++
    for (let i = s2; i < e2; i++) if (a[k++] !== lowerUnit(text.charCodeAt(i))) return false
    return true
  }

  private reserve(n: number): void {
    if (this.arenaUsed + n <= this.arena.length) return
    const bigger = new Uint16Array(Math.max(this.arena.length * 2, this.arenaUsed + n))
    bigger.set(this.arena.subarray(0, this.arenaUsed))
    this.arena = bigger
  }

  private insert(slot: number, g: number, h: number, off: number, len: number, n: number): void {
    this.grams[slot] = g
    this.hashes[slot] = h
    this.counts[slot] = n
    this.keyOff[slot] = off
    this.keyLen[slot] = len
    this.size++
    if (this.size * 2 > this.counts.length) this.grow()
  }

  private grow(): void {
    const { grams, hashes, counts, keyOff, keyLen } = this
    const cap = counts.length * 2
    this.grams = new Int32Array(cap)
    this.hashes = new Int32Array(cap)
    this.counts = new Float64Array(cap)
    this.keyOff = new Int32Array(cap)
    this.keyLen = new Int32Array(cap)
    this.mask = cap - 1
    for (let s = 0; s < counts.length; s++) {
      if (counts[s] === 0) continue
      let slot = hashes[s] & this.mask
      while (this.counts[slot] !== 0) slot = (slot + 1) & this.mask
      this.grams[slot] = grams[s]
      this.hashes[slot] = hashes[s]
      this.counts[slot] = counts[s]
      this.keyOff[slot] = keyOff[s]
      this.keyLen[slot] = keyLen[s]
    }
  }
}

function combine(g: number, a: number, b: number, c: number): number {
  let h = Math.imul(g ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ a, 0xc2b2ae35)
  h = Math.imul(h ^ b, 0x27d4eb2f)
  h = Math.imul(h ^ c, 0x165667b1)
  return h ^ (h >>> 15)
}
