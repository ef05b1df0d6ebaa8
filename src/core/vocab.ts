import { ASCII_CLASS, lowerUnit, normalizeSpan } from './chars'

// FNV-1a over normalized code units. splitWords computes it while scanning, so looking a word
// up costs one probe and no string allocation.
export const HASH_SEED = 0x811c9dc5 | 0
// lowerUnit with ASCII answered here (see continuationCounter.ts: imports cost a getter under tsx).
function lower(c: number): number {
  return c < 128 ? (c >= 65 && c <= 90 ? c + 32 : c) : lowerUnit(c)
}

export function hashStep(h: number, unit: number): number {
  return Math.imul(h ^ unit, 16777619)
}

/** Hash of the normalized word at `text[start, end)`, equal to hashWord of its normal form. */
export function hashSpan(text: string, start: number, end: number): number {
  let h = HASH_SEED
  for (let i = start; i < end; i++) h = hashStep(h, lower(text.charCodeAt(i)))
  return h
}

export function hashWord(word: string): number {
  let h = HASH_SEED
  for (let i = 0; i < word.length; i++) h = hashStep(h, word.charCodeAt(i))
  return h
}

/**
 * Interns normalized words as dense ids. A frozen vocabulary (a compiled matcher's) answers
 * -1 for unknown words and never grows, so scanning a 100 GB log does not grow memory.
 */
export class WordVocab {
  readonly words: string[] = []
  private hashes: Int32Array = new Int32Array(16)
  private slots: Int32Array = new Int32Array(64) // id + 1, 0 = empty
  private mask = 63
  frozen = false
  /**
   * After freeze(), when every word is ASCII and the trie is small: a character automaton
   * over raw ASCII code units, made for the word scanner (see scanWords): `scan[state * 128 +
   * c]` is the next state. Letters are case-folded into it and every separator leads back to
   * the root (1), so the scanner walks it on every character without branching; 0 is dead (no
   * vocabulary word has this prefix). The apostrophe column is the trie's own ' edge, taken
   * only for an apostrophe between two letters. `accept` is the word id accepted in each
   * state, -1 for none.
   */
  dfa: { scan: Uint16Array; accept: Int32Array } | null = null

  /** Stops growth; unknown words then get -1. */
  freeze(): void {
    this.frozen = true
    this.dfa = this.buildDfa()
  }

  private buildDfa(): { scan: Uint16Array; accept: Int32Array } | null {
    let states = 2
    for (const w of this.words) {
      for (let k = 0; k < w.length; k++) if (w.charCodeAt(k) >= 128) return null
      states += w.length
    }
    if (states > 65535) return null
    const trie = new Uint16Array(states * 128)
    const accept = new Int32Array(states).fill(-1)
    let next = 2
    this.words.forEach((w, id) => {
      let st = 1
      for (let k = 0; k < w.length; k++) {
        const slot = st * 128 + w.charCodeAt(k)
        if (trie[slot] === 0) trie[slot] = next++
        st = trie[slot]
      }
      accept[st] = id
    })
    // One more state, "dead after an apostrophe": the scanner takes the apostrophe column only
    // between two letters (the word goes on), and a prefix with no ' edge is then no word's.
    const deadApos = next++
    const scan = new Uint16Array(next * 128)
    for (let st = 0; st < next; st++) {
      for (let c = 0; c < 128; c++) {
        let to = 1
        if ((ASCII_CLASS[c] & 1) === 1) to = st === deadApos ? 0 : trie[st * 128 + (c >= 65 && c <= 90 ? c + 32 : c)]
        else if (c === 39) to = st === deadApos ? 0 : trie[st * 128 + c] || deadApos
        scan[st * 128 + c] = to
      }
    }
    const acc = new Int32Array(next).fill(-1)
    acc.set(accept.subarray(0, deadApos))
    return { scan, accept: acc }
  }

  get size(): number {
    return this.words.length
  }

  /** Id of an already normalized word, adding it unless frozen. */
  intern(word: string): number {
    const h = hashWord(word)
    let slot = h & this.mask
    for (;;) {
      const v = this.slots[slot]
      if (v === 0) break
      if (this.hashes[v - 1] === h && this.words[v - 1] === word) return v - 1
      slot = (slot + 1) & this.mask
    }
    if (this.frozen) return -1
    return this.add(word, h, slot)
  }

  /** Id of the word at `text[start, end)` given its hash, or -1 (frozen) / a new id. */
  lookupSpan(text: string, start: number, end: number, h: number): number {
    const len = end - start
    let slot = h & this.mask
    for (;;) {
      const v = this.slots[slot]
      if (v === 0) break
      if (this.hashes[v - 1] === h) {
        const w = this.words[v - 1]
        if (w.length === len && sameNormalized(w, text, start, len)) return v - 1
      }
      slot = (slot + 1) & this.mask
    }
    if (this.frozen) return -1
    return this.add(normalizeSpan(text, start, end), h, slot)
  }

  private add(word: string, h: number, slot: number): number {
    const id = this.words.length
    this.words.push(word)
    if (id >= this.hashes.length) {
      const bigger = new Int32Array(this.hashes.length * 2)
      bigger.set(this.hashes)
      this.hashes = bigger
    }
    this.hashes[id] = h
    this.slots[slot] = id + 1
    // Keep the load under 1/4: most lookups in a frozen table miss, and misses end at an
    // empty slot.
    if (this.words.length * 4 > this.slots.length) this.rehash()
    return id
  }

  private rehash(): void {
    const size = this.slots.length * 2
    this.slots = new Int32Array(size)
    this.mask = size - 1
    for (let id = 0; id < this.words.length; id++) {
      let slot = this.hashes[id] & this.mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask
      this.slots[slot] = id + 1
    }
  }
}

function sameNormalized(word: string, text: string, start: number, len: number): boolean {
  for (let k = 0; k < len; k++) {
    if (word.charCodeAt(k) !== lower(text.charCodeAt(start + k))) return false
  }
  return true
}
