/**
 * Counts of (a, b, c, d) int keys in one open-addressing table: the conditional-entropy
 * counter, keyed by (gram, next word ids). Typed arrays keep it free of per-entry objects and
 * of heap-number Map keys, which cost more than the matching itself on SG-dense text.
 */
export class QuadCounter {
  private keys: Int32Array
  private counts: Float64Array
  private mask: number
  size = 0

  constructor(capacity = 256) {
    let cap = 16
    while (cap < capacity * 2) cap <<= 1
    this.keys = new Int32Array(cap * 4)
    this.counts = new Float64Array(cap)
    this.mask = cap - 1
  }

  add(a: number, b: number, c: number, d: number, by = 1): void {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b)
    h = Math.imul(h ^ b, 0xc2b2ae35)
    h = Math.imul(h ^ c, 0x27d4eb2f)
    h = Math.imul(h ^ d, 0x165667b1)
    h ^= h >>> 15
    let slot = h & this.mask
    const keys = this.keys
    for (;;) {
      const cnt = this.counts[slot]
      if (cnt === 0) break
      const o = slot * 4
      if (keys[o] === a && keys[o + 1] === b && keys[o + 2] === c && keys[o + 3] === d) {
        this.counts[slot] = cnt + by
        return
      }
      slot = (slot + 1) & this.mask
    }
    const o = slot * 4
    keys[o] = a
    keys[o + 1] = b
    keys[o + 2] = c
    keys[o + 3] = d
    this.counts[slot] = by
    this.size++
    if (this.size * 2 > this.counts.length) this.grow()
  }

  forEach(fn: (a: number, b: number, c: number, d: number, count: number) => void): void {
    for (let s = 0; s < this.counts.length; s++) {
      const cnt = this.counts[s]
      if (cnt > 0) fn(this.keys[s * 4], this.keys[s * 4 + 1], this.keys[s * 4 + 2], this.keys[s * 4 + 3], cnt)
    }
  }

  private grow(): void {
    const oldKeys = this.keys
    const oldCounts = this.counts
    const cap = oldCounts.length * 2
    this.keys = new Int32Array(cap * 4)
    this.counts = new Float64Array(cap)
    this.mask = cap - 1
    this.size = 0
    for (let s = 0; s < oldCounts.length; s++) {
      if (oldCounts[s] > 0) this.add(oldKeys[s * 4], oldKeys[s * 4 + 1], oldKeys[s * 4 + 2], oldKeys[s * 4 + 3], oldCounts[s])
    }
  }
}
