import { normalizePhrase } from './strategicGrams'
import { WordVocab } from './vocab'
import { splitWords, type Words } from './words'

/** One occurrence of SG `gram` (its index in the compiled list), SPEC §2. */
export interface Occurrence {
  gram: number
  firstWord: number
  /** exclusive */
  endWord: number
  /** character span [start, end) */
  start: number
  end: number
}

export interface SgMatcher {
  /** Normalized words of each compiled phrase, by gram index. */
  readonly grams: readonly (readonly string[])[]
  readonly vocab: WordVocab
  /** Every occurrence, overlaps included, in order of end word then shorter first. */
  findOccurrences(text: string, words?: Words): Occurrence[]
  /** Words of `text` with ids in this matcher's vocabulary. */
  words(text: string): Words
}

// Aho-Corasick over word ids. Trie edges live in one open-addressing table keyed by
// (node, word id), so a step costs a hash probe whatever the number of SGs, and words no SG
// contains (id -1) send the automaton straight back to the root without a lookup.
class EdgeTable {
  keysNode: Int32Array
  keysWord: Int32Array
  vals: Int32Array
  mask: number
  size = 0

  constructor(expected: number) {
    let cap = 16
    while (cap < expected * 3) cap <<= 1
    this.keysNode = new Int32Array(cap).fill(-1)
    this.keysWord = new Int32Array(cap)
    this.vals = new Int32Array(cap)
    this.mask = cap - 1
  }

  get(node: number, word: number): number {
    let slot = (Math.imul(node, 0x9e3779b1) ^ Math.imul(word, 0x85ebca6b)) & this.mask
    for (;;) {
      const k = this.keysNode[slot]
      if (k === -1) return -1
      if (k === node && this.keysWord[slot] === word) return this.vals[slot]
      slot = (slot + 1) & this.mask
    }
  }

  set(node: number, word: number, child: number): void {
    let slot = (Math.imul(node, 0x9e3779b1) ^ Math.imul(word, 0x85ebca6b)) & this.mask
    while (this.keysNode[slot] !== -1) slot = (slot + 1) & this.mask
    this.keysNode[slot] = node
    this.keysWord[slot] = word
    this.vals[slot] = child
    this.size++
  }
}

class AhoCorasickMatcher implements SgMatcher {
  readonly grams: string[][]
  readonly vocab = new WordVocab()
  private edges: EdgeTable
  private fail: Int32Array
  // Patterns reported at each node (its own and those of its suffix-link chain), as CSR.
  private outStart: Int32Array
  private outGram: Int32Array
  private gramLen: Int32Array

  constructor(phrases: readonly string[]) {
    this.grams = phrases.map((p) => normalizePhrase(p))
    let totalWords = 0
    for (const g of this.grams) totalWords += g.length
    this.edges = new EdgeTable(totalWords + 1)
    this.gramLen = new Int32Array(this.grams.length)
    const depthOut: number[][] = [[]]
    let nodes = 1
    const children: number[][] = [[]]
    const childWord: number[][] = [[]]
    this.grams.forEach((g, gi) => {
      this.gramLen[gi] = g.length
      if (g.length === 0) return
      let node = 0
      for (const w of g) {
        const id = this.vocab.intern(w)
        let next = this.edges.get(node, id)
        if (next === -1) {
          next = nodes++
          this.edges.set(node, id, next)
          children[node].push(next)
          childWord[node].push(id)
          children.push([])
          childWord.push([])
          depthOut.push([])
        }
        node = next
      }
      depthOut[node].push(gi)
    })
    this.vocab.frozen = true
    // Breadth-first failure links; outputs inherit the failure target's outputs.
    this.fail = new Int32Array(nodes)
    const order: number[] = [0]
    const outs: number[][] = new Array(nodes)
    outs[0] = []
    for (let qi = 0; qi < order.length; qi++) {
      const node = order[qi]
      const kids = children[node]
      for (let k = 0; k < kids.length; k++) {
        const child = kids[k]
        const w = childWord[node][k]
        let f = 0
        if (node !== 0) {
          let s = this.fail[node]
          for (;;) {
            const t = this.edges.get(s, w)
            if (t !== -1) {
              f = t
              break
            }
            if (s === 0) break
            s = this.fail[s]
          }
        }
        this.fail[child] = f
        // Shorter patterns (reached through failure links) end at the same word; listing own
        // patterns first gives "longer first" within one end word, reversed below.
        outs[child] = depthOut[child].concat(outs[f])
        order.push(child)
      }
    }
    this.outStart = new Int32Array(nodes + 1)
    let total = 0
    for (let v = 0; v < nodes; v++) {
      this.outStart[v] = total
      total += outs[v].length
    }
    this.outStart[nodes] = total
    this.outGram = new Int32Array(total)
    for (let v = 0; v < nodes; v++) {
      const o = outs[v]
      // Shorter first: reverse the own-then-inherited order (inherited ones are shorter).
      for (let k = 0; k < o.length; k++) this.outGram[this.outStart[v] + k] = o[o.length - 1 - k]
    }
  }

  words(text: string): Words {
    return splitWords(text, this.vocab)
  }

  findOccurrences(text: string, words?: Words): Occurrence[] {
    const w = words && words.text === text ? words : splitWords(text, this.vocab)
    const ids = w.vocab === this.vocab && w.ids ? w.ids : this.idsOf(w)
    const out: Occurrence[] = []
    const joined = w.joined
    const starts = w.starts
    const ends = w.ends
    const edges = this.edges
    const fail = this.fail
    let state = 0
    for (let i = 0; i < w.count; i++) {
      const id = ids[i]
      if (id < 0) {
        state = 0
      } else {
        for (;;) {
          const t = edges.get(state, id)
          if (t !== -1) {
            state = t
            break
          }
          if (state === 0) break
          state = fail[state]
        }
        const a = this.outStart[state]
        const b = this.outStart[state + 1]
        for (let k = a; k < b; k++) {
          const g = this.outGram[k]
          const first = i + 1 - this.gramLen[g]
          out.push({ gram: g, firstWord: first, endWord: i + 1, start: starts[first], end: ends[i] })
        }
      }
      // Nothing matches across a break.
      if (joined[i] === 0) state = 0
    }
    return out
  }

  private idsOf(w: Words): Int32Array {
    const ids = new Int32Array(w.count)
    for (let i = 0; i < w.count; i++) ids[i] = this.vocab.intern(w.norm(i))
    return ids
  }
}

/** Compiles SG phrases once; gram indices in occurrences are positions in `phrases`. */
export function compileMatcher(phrases: readonly string[]): SgMatcher {
  return new AhoCorasickMatcher(phrases)
}
