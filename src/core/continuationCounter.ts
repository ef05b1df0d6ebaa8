import { lowerUnit } from './chars'
import type { WordVocab } from './vocab'

// lowerUnit with ASCII answered here: under tsx an imported function costs a getter call per
// use, and this runs on every character of every counted continuation.
function lower(c: number): number {
  return c < 128 ? (c >= 65 && c <= 90 ? c + 32 : c) : lowerUnit(c)
}

/**
 * Counts (SG, next three words) pairs for conditional_entropy. Entries are found by a hash of
 * the gram and the three normalized words, then confirmed against the stored key, so counts
 * are exact. Keys live in one growing UTF-16 arena (normalized words separated by spaces), not
 * as strings: on arithmetic-heavy text nearly every pair is new (numbers), and a string per
 * pair would make this the most expensive part of the metrics.
 */
const ID_STRIDE = 4
const SLOT = 4
/** Id-keyed pairs held before they are counted (see addWords), at most and at first. */
const PENDING = 4096
const PENDING_FIRST = 64

/** A ContinuationCounter's tables as plain data (see toState). */
export interface ContinuationState {
  V: number
  idSlots: Int32Array<ArrayBuffer>
  idMask: number
  idSize: number
  slots: Int32Array<ArrayBuffer>
  mask: number
  size: number
  arena: Uint16Array<ArrayBuffer>
}

export class ContinuationCounter {
  // Pairs whose three words are all in the (frozen) SG vocabulary are keyed by their word ids
  // instead: gram plus one number packing the three ids, no characters hashed or compared.
  // Which table a pair lands in depends only on the pair (are its words in the vocabulary?),
  // so no pair is ever counted in both.
  private readonly vocab: WordVocab | null
  private readonly V: number
  // Both tables keep a slot's fields side by side (one cache line per probe: on arithmetic text
  // the tables outgrow the caches and nearly every probe misses).
  // Id table, stride ID_STRIDE: count, the key's (the three ids packed) low and high 32 bits,
  // gram. 16 bytes a slot, not doubles' 32: a mined set's table is 1 MB, not 2, at 32,000 pairs.
  private idSlots = new Int32Array(0)
  private idMask = -1
  private idSize = 0
  // Id-keyed pairs not counted yet, three Int32 each (gram, the key's low and high 32 bits), in
  // the order they came: counted in that order, so the table ends as if each had been counted
  // at once. It starts small and doubles as it fills, up to PENDING pairs: an import's book holds
  // a counter for every step (and merging makes one more each), most of which see few pairs.
  private pending = new Int32Array(3 * PENDING_FIRST)
  private pendingN = 0
  // Span table, stride SLOT: count, gram, hash, arena offset (the key's length, two units, then
  // its characters: 16 bytes a slot keep four slots to a cache line).
  private slots: Int32Array
  private arena = new Uint16Array(4096)
  private arenaUsed = 0
  private mask: number
  size = 0

  constructor(capacity = 1024, vocab?: WordVocab) {
    const V = vocab && vocab.frozen ? vocab.size : 0
    // a·V² + b·V + c must stay an exact integer in a double.
    this.vocab = V > 0 && V ** 3 < 2 ** 53 ? vocab! : null
    this.V = this.vocab ? V : 0
    if (this.vocab) this.idAlloc(256)
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.slots = new Int32Array(cap * SLOT)
    this.mask = cap - 1
  }

  /**
   * Counts gram `g` followed by three words with ids a, b, c in the vocabulary given to the
   * constructor (-1 = not in it) and spans (s0,e0), (s1,e1), (s2,e2) of `text`.
   */
  addWords(g: number, a: number, b: number, c: number, text: string, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number): void {
    if (a < 0 || b < 0 || c < 0 || this.vocab === null) {
      this.addSpans(g, text, s0, e0, s1, e1, s2, e2)
      return
    }
    // Counted later, a batch at a time: between two responses' pairs the scan and the parse
    // evict the table (a mined set's is ~1 MB), and a probe at that moment waited for memory
    // (--cpu-prof: most of addIds' time on its first load). In a loop of nothing but probes,
    // the next pairs' loads overlap with this one's.
    const key = (a * this.V + b) * this.V + c
    const q = this.pending
    const p = this.pendingN
    q[p] = g
    q[p + 1] = key | 0
    q[p + 2] = (key / 4294967296) | 0
    this.pendingN = p + 3
    if (p + 3 === q.length) this.countPending()
  }

  /** Counts the pending id-keyed pairs; every read of the id table comes after it. */
  private countPending(): void {
    const q = this.pending
    const n = this.pendingN
    this.pendingN = 0
    for (let p = 0; p < n; p += 3) this.addIds(q[p], q[p + 1], q[p + 2], 1)
    if (n === q.length && q.length < 3 * PENDING) this.pending = new Int32Array(2 * q.length)
  }

  private addIds(g: number, lo: number, hi: number, n: number): void {
    let h = Math.imul(g ^ 0x9e3779b9, 0x85ebca6b)
    h = Math.imul(h ^ lo, 0xc2b2ae35)
    h = Math.imul(h ^ hi, 0x27d4eb2f)
    let slot = (h ^ (h >>> 15)) & this.idMask
    const t = this.idSlots
    for (;;) {
      const at = slot * ID_STRIDE
      const cnt = t[at]
      if (cnt === 0) break
      if (t[at + 1] === lo && t[at + 2] === hi && t[at + 3] === g) {
        t[at] = cnt + n
        return
      }
      slot = (slot + 1) & this.idMask
    }
    const at = slot * ID_STRIDE
    t[at] = n
    t[at + 1] = lo
    t[at + 2] = hi
    t[at + 3] = g
    this.idSize++
    if (this.idSize * 2 > this.idMask + 1) this.idGrow()
  }

  private idAlloc(cap: number): void {
    this.idSlots = new Int32Array(cap * ID_STRIDE)
    this.idMask = cap - 1
  }

  private idGrow(): void {
    const old = this.idSlots
    this.idAlloc((this.idMask + 1) * 2)
    this.idSize = 0
    for (let at = 0; at < old.length; at += ID_STRIDE) if (old[at] > 0) this.addIds(old[at + 3], old[at + 1], old[at + 2], old[at])
  }

  /** Counts gram `g` followed by the words at spans (s0,e0), (s1,e1), (s2,e2) of `text`. */
  addSpans(g: number, text: string, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number): void {
    // The key is written past the arena's end while it is hashed (one read of the text), and
    // kept only when it is new: most pairs are (numbers on arithmetic text).
    const len = e0 - s0 + e1 - s1 + e2 - s2 + 2
    this.reserve(len + 2)
    const arena = this.arena
    const off = this.arenaUsed
    arena[off] = len & 0xffff
    arena[off + 1] = len >>> 16
    let k = off + 2
    // FNV-1a of each normalized word: vocab.ts's hashSpan.
    let ha = 0x811c9dc5 | 0
    for (let i = s0; i < e0; i++) {
      const c = lower(text.charCodeAt(i))
      arena[k++] = c
      ha = Math.imul(ha ^ c, 16777619)
    }
    arena[k++] = 32
    let hb = 0x811c9dc5 | 0
    for (let i = s1; i < e1; i++) {
      const c = lower(text.charCodeAt(i))
      arena[k++] = c
      hb = Math.imul(hb ^ c, 16777619)
    }
    arena[k++] = 32
    let hc = 0x811c9dc5 | 0
    for (let i = s2; i < e2; i++) {
      const c = lower(text.charCodeAt(i))
      arena[k++] = c
      hc = Math.imul(hc ^ c, 16777619)
    }
    const h = combine(g, ha, hb, hc)
    let slot = h & this.mask
    const t = this.slots
    for (;;) {
      const at = slot * SLOT
      const c = t[at]
      if (c === 0) break
      if (t[at + 2] === h && t[at + 1] === g && this.sameStored(t[at + 3], arena, off, len)) {
        t[at] = c + 1
        return
      }
      slot = (slot + 1) & this.mask
    }
    this.arenaUsed = k
    this.insert(slot, g, h, off, 1)
  }

  /** The tables as plain data that crosses threads (structured clone); see fromState. */
  toState(): ContinuationState {
    this.countPending()
    return {
      V: this.V,
      idSlots: this.idSlots.slice(), idMask: this.idMask, idSize: this.idSize,
      slots: this.slots.slice(), mask: this.mask, size: this.size,
      arena: this.arena.slice(0, this.arenaUsed)
    }
  }

  /** A counter holding `toState`'s tables, for the same SG vocabulary (a matcher of the same set). */
  static fromState(state: ContinuationState, vocab?: WordVocab): ContinuationCounter {
    const c = new ContinuationCounter(16, vocab)
    if (c.V !== state.V) throw new RangeError(`continuation counts of a ${state.V}-word SG vocabulary, this one has ${c.V}`)
    c.idSlots = state.idSlots
    c.idMask = state.idMask
    c.idSize = state.idSize
    c.slots = state.slots
    c.mask = state.mask
    c.size = state.size
    c.arena = state.arena.length > 0 ? state.arena : new Uint16Array(16)
    c.arenaUsed = state.arena.length
    return c
  }

  /** Adds every count of `other` (same SG vocabulary), entry by entry, without building keys. */
  mergeFrom(other: ContinuationCounter): void {
    if (other.V !== this.V) throw new RangeError('cannot merge continuation counts of different SG vocabularies')
    this.countPending()
    other.countPending()
    const ti = other.idSlots
    for (let at = 0; at < ti.length; at += ID_STRIDE) if (ti[at] > 0) this.addIds(ti[at + 3], ti[at + 1], ti[at + 2], ti[at])
    const t = other.slots
    for (let at = 0; at < t.length; at += SLOT) if (t[at] > 0) this.addArenaKey(t[at + 1], t[at + 2], other.arena, t[at + 3], t[at])
  }

  // A key stored in another counter's arena (at off: its length, two units, then its characters).
  private addArenaKey(g: number, h: number, src: Uint16Array, off: number, n: number): void {
    const len = src[off] | (src[off + 1] << 16)
    let slot = h & this.mask
    const t = this.slots
    for (;;) {
      const at = slot * SLOT
      const c = t[at]
      if (c === 0) break
      if (t[at + 2] === h && t[at + 1] === g && this.sameStored(t[at + 3], src, off, len)) {
        t[at] = c + n
        return
      }
      slot = (slot + 1) & this.mask
    }
    this.reserve(len + 2)
    const dst = this.arenaUsed
    this.arena.set(src.subarray(off, off + len + 2), dst)
    this.arenaUsed += len + 2
    this.insert(slot, g, h, dst, n)
  }

  private sameStored(off: number, src: Uint16Array, srcOff: number, len: number): boolean {
    const a = this.arena
    if ((a[off] | (a[off + 1] << 16)) !== len) return false
    for (let i = 2; i < len + 2; i++) if (a[off + i] !== src[srcOff + i]) return false
    return true
  }

  /**
   * conditional_entropy's sums, entry by entry in table order: each pair's count added to
   * ns[gram], and count·ln count to inner[gram] for pairs seen more than once (1·ln 1 = 0 exactly,
   * and most pairs are seen once). A loop here, not a callback per entry: the callback was a new
   * closure at each step's result, and the optimized loop was thrown away for it each time.
   */
  addEntropySums(ns: Float64Array, inner: Float64Array): void {
    this.countPending()
    addSums(this.idSlots, ID_STRIDE, 3, ns, inner)
    addSums(this.slots, SLOT, 1, ns, inner)
  }

  private reserve(n: number): void {
    if (this.arenaUsed + n <= this.arena.length) return
    const bigger = new Uint16Array(Math.max(this.arena.length * 2, this.arenaUsed + n))
    bigger.set(this.arena.subarray(0, this.arenaUsed))
    this.arena = bigger
  }

  private insert(slot: number, g: number, h: number, off: number, n: number): void {
    const at = slot * SLOT
    const t = this.slots
    t[at] = n
    t[at + 1] = g
    t[at + 2] = h
    t[at + 3] = off
    this.size++
    if (this.size * 2 > this.mask + 1) this.grow()
  }

  private grow(): void {
    const old = this.slots
    const cap = (this.mask + 1) * 2
    const t = new Int32Array(cap * SLOT)
    this.mask = cap - 1
    for (let from = 0; from < old.length; from += SLOT) {
      if (old[from] === 0) continue
      let slot = old[from + 2] & this.mask
      while (t[slot * SLOT] !== 0) slot = (slot + 1) & this.mask
      // Field by field: a subarray per entry made growing cost more than the counting.
      const at = slot * SLOT
      t[at] = old[from]
      t[at + 1] = old[from + 1]
      t[at + 2] = old[from + 2]
      t[at + 3] = old[from + 3]
    }
    this.slots = t
  }
}

function combine(g: number, a: number, b: number, c: number): number {
  let h = Math.imul(g ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ a, 0xc2b2ae35)
  h = Math.imul(h ^ b, 0x27d4eb2f)
  h = Math.imul(h ^ c, 0x165667b1)
  return h ^ (h >>> 15)
}

// One table's entries for addEntropySums: count at a slot's field 0, gram at field `gramAt`.
function addSums(t: Int32Array, stride: number, gramAt: number, ns: Float64Array, inner: Float64Array): void {
  for (let at = 0; at < t.length; at += stride) {
    const v = t[at]
    if (v > 0) {
      const g = t[at + gramAt]
      ns[g] += v
      if (v !== 1) inner[g] += v * Math.log(v)
    }
  }
}
