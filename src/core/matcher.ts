import { normalizePhrase } from './strategicGrams'
import { WordVocab } from './vocab'
import { GAP_BREAK, idShift, lastScanInWasm, scanWords, scratch, splitWords, wasmScanFor, type Words } from './words'
import { MATCH_CHAINS, type DenseTables, type WasmScan } from './wasmScan'

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
  /**
   * Allocation-free form for hot loops: scans `text` into the words scratch (see scanWords)
   * and writes occurrences to `occScratch`. Returns the word count; occScratch.count holds
   * the number of occurrences. Both are overwritten by the next call.
   */
  scanInto(text: string): number
}

/**
 * Occurrences of the last scanInto call, as parallel arrays (gram, firstWord, endWord): the JS
 * matcher's own arrays, or views into the WebAssembly module's memory when it matched there.
 */
export const occScratch: { count: number; gram: Int32Array; first: Int32Array; end: Int32Array } = {
  count: 0,
  gram: new Int32Array(1024),
  first: new Int32Array(1024),
  end: new Int32Array(1024)
}
const jsOcc = { gram: occScratch.gram, first: occScratch.first, end: occScratch.end }

// The JS matcher writes its own arrays (views of wasm memory die when that memory grows).
function useJsOcc(): void {
  occScratch.gram = jsOcc.gram
  occScratch.first = jsOcc.first
  occScratch.end = jsOcc.end
}

function growOcc(): void {
  const cap = jsOcc.gram.length * 2
  for (const k of ['gram', 'first', 'end'] as const) {
    const a = new Int32Array(cap)
    a.set(jsOcc[k])
    jsOcc[k] = a
  }
  useJsOcc()
}

/**
 * Where the dense matcher splits a text of 64 words or more into `chains` chains: at the first
 * break at or past each c/chains of the words (a chain starts at the root, as after any break).
 * Ascending; empty for one chain.
 */
function splitPoints(wb: Int32Array, count: number, chains: number): number[] {
  const out: number[] = []
  if (count < 64) return out
  let j = 1
  for (let c = 1; c < chains; c++) {
    j = Math.max(j, Math.floor((count * c) / chains))
    while (j < count && (wb[4 * j + 1] & GAP_BREAK) === 0) j++
    if (j >= count) break
    out.push(j++)
  }
  return out
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

// Goto tables above this many entries (32 KB of 16-bit entries) are matched as two chains by the
// JS loop (the wasm one always takes chains; see scanInto).
const SPLIT_TABLE = 1 << 14
// Entries of the dense goto table at most by default (Int32: 16 MB).
const DENSE_LIMIT = 1 << 22

class AhoCorasickMatcher implements SgMatcher {
  readonly grams: string[][]
  readonly vocab = new WordVocab()
  private edges: EdgeTable
  private fail: Int32Array
  // Patterns reported at each node (its own and those of its suffix-link chain), as CSR.
  private outStart: Int32Array
  private outGram: Int32Array
  private gramLen: Int32Array
  /** Most occurrences one word can end (the longest output list of a node). */
  private maxOut = 0
  /**
   * The full goto function (failure links already followed) as a dense table, node * V + word
   * id → node, when nodes × vocabulary size is small enough (DENSE_LIMIT): one load a word
   * instead of hash probes along the failure chain. Mined SG sets have thousands of grams
   * over a few hundred words, where those probes miss the cache. Nodes are renumbered
   * breadth-first there, so the shallow states the text mostly visits share cache lines.
   */
  private dense: { delta: Uint16Array | Int32Array; outStart: Int32Array; outGram: Int32Array } | null = null
  /** The dense tables as the WebAssembly matcher takes them (made at its first use). */
  private wasm: { tables: DenseTables; resident: (Int32Array | Uint16Array)[] } | null = null

  constructor(phrases: readonly string[], denseLimit: number) {
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
    this.vocab.freeze()
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
    for (let v = 0; v < nodes; v++) this.maxOut = Math.max(this.maxOut, this.outStart[v + 1] - this.outStart[v])
    this.outGram = new Int32Array(total)
    for (let v = 0; v < nodes; v++) {
      const o = outs[v]
      // Shorter first: reverse the own-then-inherited order (inherited ones are shorter).
      for (let k = 0; k < o.length; k++) this.outGram[this.outStart[v] + k] = o[o.length - 1 - k]
    }
    this.dense = this.denseGoto(order, nodes, denseLimit)
  }

  // Breadth-first, a node's row is its failure target's row (already complete: the target is
  // shallower) with its own children written over it.
  private denseGoto(order: number[], nodes: number, limit: number): { delta: Uint16Array | Int32Array; outStart: Int32Array; outGram: Int32Array } | null {
    // One more column than words, all root: words outside the vocabulary (id -1) are sent
    // there without a test (see runDense).
    const V = this.vocab.size + 1
    if (V === 1 || nodes * V > limit) return null
    const rank = new Int32Array(nodes)
    order.forEach((u, r) => (rank[u] = r))
    // Half the bytes when node numbers fit in 16 bits: a mined set's table then stays in cache.
    const delta = nodes <= 65536 ? new Uint16Array(nodes * V) : new Int32Array(nodes * V)
    const keysNode = this.edges.keysNode
    const keysWord = this.edges.keysWord
    const vals = this.edges.vals
    // Children per node, from the edge table.
    const kidStart = new Int32Array(nodes + 1)
    for (let s = 0; s < keysNode.length; s++) if (keysNode[s] !== -1) kidStart[keysNode[s] + 1]++
    for (let v = 0; v < nodes; v++) kidStart[v + 1] += kidStart[v]
    const fill = kidStart.slice(0, nodes)
    const kidWord = new Int32Array(this.edges.size)
    const kidNode = new Int32Array(this.edges.size)
    for (let s = 0; s < keysNode.length; s++) {
      const u = keysNode[s]
      if (u === -1) continue
      kidWord[fill[u]] = keysWord[s]
      kidNode[fill[u]++] = vals[s]
    }
    const outStart = new Int32Array(nodes + 1)
    const outGram = new Int32Array(this.outGram.length)
    let total = 0
    order.forEach((u, r) => {
      const row = r * V
      if (r !== 0) {
        const f = rank[this.fail[u]] * V
        delta.copyWithin(row, f, f + V)
      }
      for (let k = kidStart[u]; k < kidStart[u + 1]; k++) delta[row + kidWord[k]] = rank[kidNode[k]]
      delta[row + V - 1] = 0
      outStart[r] = total
      for (let k = this.outStart[u]; k < this.outStart[u + 1]; k++) outGram[total++] = this.outGram[k]
    })
    outStart[nodes] = total
    return { delta, outStart, outGram }
  }

  words(text: string): Words {
    return splitWords(text, this.vocab)
  }

  findOccurrences(text: string, words?: Words): Occurrence[] {
    if (words && words.text === text) {
      // Word lists made elsewhere, in the scanner's layout (see words.ts scratch): ids as
      // id + 1 read through idShift, gaps at 4k + 5.
      const ids = words.vocab === this.vocab && words.ids ? words.ids : this.idsOf(words)
      const b = new Int32Array(4 * words.count + 8)
      for (let k = 0; k < words.count; k++) {
        b[4 * k + 3] = ids[k] + 1
        if (words.joined[k] === 0) b[4 * k + 5] = GAP_BREAK
      }
      this.run(idShift(this.vocab.size), b, words.count)
      return this.collect(words.starts, words.ends)
    }
    const count = this.scanInto(text)
    const b = scratch.bounds
    const starts = new Int32Array(count)
    const ends = new Int32Array(count)
    for (let k = 0; k < count; k++) {
      starts[k] = b[4 * k]
      ends[k] = b[4 * k + 2]
    }
    return this.collect(starts, ends)
  }

  scanInto(text: string): number {
    const k = this.dense && this.vocab.dfa ? wasmScanFor(text.length) : null
    const w = k ? (this.wasm ??= this.wasmTables()) : null
    // Every table in the module before the scan: adding one afterwards would move its words.
    const resident = k !== null && w !== null && k.prepare(w.resident)
    const count = scanWords(text, this.vocab)
    if (resident && lastScanInWasm() && this.matchInWasm(k!, w!.tables, count)) return count
    this.run(scratch.accept, scratch.bounds, count)
    return count
  }

  // The dense tables as the WebAssembly matcher takes them, with every table it reads.
  private wasmTables(): { tables: DenseTables; resident: (Int32Array | Uint16Array)[] } {
    const d = this.dense!
    const dfa = this.vocab.dfa!
    const tables = { accept: dfa.accept, V: this.vocab.size + 1, gramLen: this.gramLen, maxOut: this.maxOut, delta: d.delta, outStart: d.outStart, outGram: d.outGram }
    return { tables, resident: [dfa.scan, dfa.accept, d.delta, d.outStart, d.outGram, this.gramLen] }
  }

  // Matches the words the wasm pass just wrote; false when the module had no memory for it.
  private matchInWasm(k: WasmScan, t: DenseTables, count: number): boolean {
    // Chains whatever the table's size: in wasm, even a table in the first-level cache leaves
    // each word waiting on the last one's load (18 SGs: 0.12 against 0.13–0.17 s of scan and
    // match for 15,000 responses with one chain).
    const n = k.match(t, count, splitPoints(scratch.bounds, count, MATCH_CHAINS))
    if (n < 0) return false
    const o = k.occ
    occScratch.gram = o.gram
    occScratch.first = o.first
    occScratch.end = o.end
    occScratch.count = n
    // Matching may have grown the module's memory: the words' view of it is made again.
    scratch.bounds = k.bounds
    return true
  }

  private collect(starts: Int32Array, ends: Int32Array): Occurrence[] {
    const n = occScratch.count
    const out: Occurrence[] = new Array(n)
    for (let k = 0; k < n; k++) {
      const first = occScratch.first[k]
      const end = occScratch.end[k]
      out[k] = { gram: occScratch.gram[k], firstWord: first, endWord: end, start: starts[first], end: ends[end - 1] }
    }
    return out
  }

  // Words in the scanner's layout: word i's id is accept[wb[4i + 3]], and wb[4i + 5] & GAP_BREAK
  // says a break follows it.
  private run(accept: Int32Array, wb: Int32Array, count: number): void {
    useJsOcc()
    if (this.dense) return this.runDense(this.dense.delta, this.dense.outStart, this.dense.outGram, accept, wb, count)
    const edges = this.edges
    const fail = this.fail
    const outStart = this.outStart
    const outGram = this.outGram
    const gramLen = this.gramLen
    let n = 0
    let state = 0
    for (let i = 0; i < count; i++) {
      const id = accept[wb[4 * i + 3]]
      if (id < 0) {
        state = 0
        continue
      }
      for (;;) {
        const t = edges.get(state, id)
        if (t !== -1) {
          state = t
          break
        }
        if (state === 0) break
        state = fail[state]
      }
      const a = outStart[state]
      const b = outStart[state + 1]
      for (let k = a; k < b; k++) {
        if (n === occScratch.gram.length) growOcc()
        const g = outGram[k]
        occScratch.gram[n] = g
        occScratch.first[n] = i + 1 - gramLen[g]
        occScratch.end[n] = i + 1
        n++
      }
      // Nothing matches across a break.
      if ((wb[4 * i + 5] & GAP_BREAK) !== 0) state = 0
    }
    occScratch.count = n
  }

  // Branch-free per word (a word outside the vocabulary and a break both send the automaton
  // to the root by arithmetic, not by a test: which words those are is unpredictable).
  private runDense(delta: Uint16Array | Int32Array, outStart: Int32Array, outGram: Int32Array, accept: Int32Array, wb: Int32Array, count: number): void {
    const V = this.vocab.size + 1
    const unknown = V
    const gramLen = this.gramLen
    // Room for every output any word can give, so the loop has no call in it.
    while (occScratch.gram.length < count * this.maxOut) growOcc()
    const oGram = occScratch.gram
    const oFirst = occScratch.first
    const oEnd = occScratch.end
    // A table past the first-level cache (mined sets: thousands of nodes) makes each word wait
    // for the previous word's load. Two halves of the text, split at a break (where the
    // automaton restarts anyway), then run as two independent chains whose loads overlap.
    const m = delta.length > SPLIT_TABLE ? (splitPoints(wb, count, 2)[0] ?? count) : count
    const offB = m * this.maxOut
    let n = 0
    let nB = offB
    let state = 0
    let stateB = 0
    const steps = Math.max(m, count - m)
    for (let k = 0; k < steps; k++) {
      if (k < m) {
        const id = accept[wb[4 * k + 3]]
        // id −1 → the root column V − 1.
        state = delta[state * V + id + ((id >> 31) & unknown)]
        const a = outStart[state]
        const b = outStart[state + 1]
        for (let o = a; o < b; o++) {
          const g = outGram[o]
          oGram[n] = g
          oFirst[n] = k + 1 - gramLen[g]
          oEnd[n] = k + 1
          n++
        }
        // After a break: the root (state & 0).
        state &= ((wb[4 * k + 5] >> 16) & 1) - 1
      }
      const i = m + k
      if (i < count) {
        const id = accept[wb[4 * i + 3]]
        stateB = delta[stateB * V + id + ((id >> 31) & unknown)]
        const a = outStart[stateB]
        const b = outStart[stateB + 1]
        for (let o = a; o < b; o++) {
          const g = outGram[o]
          oGram[nB] = g
          oFirst[nB] = i + 1 - gramLen[g]
          oEnd[nB] = i + 1
          nB++
        }
        stateB &= ((wb[4 * i + 5] >> 16) & 1) - 1
      }
    }
    // The second half's occurrences after the first's: in order of end word.
    if (nB > offB) {
      oGram.copyWithin(n, offB, nB)
      oFirst.copyWithin(n, offB, nB)
      oEnd.copyWithin(n, offB, nB)
    }
    occScratch.count = n + nB - offB
  }

  private idsOf(w: Words): Int32Array {
    const ids = new Int32Array(w.count)
    for (let i = 0; i < w.count; i++) ids[i] = this.vocab.intern(w.norm(i))
    return ids
  }
}

export interface MatcherOptions {
  /**
   * Largest dense goto table (trie nodes × SG vocabulary size entries, 4 bytes each) to build;
   * above it the matcher probes the edge hash table instead. Default 4M (16 MB).
   */
  denseGotoLimit?: number
}

/** Compiles SG phrases once; gram indices in occurrences are positions in `phrases`. */
export function compileMatcher(phrases: readonly string[], opts: MatcherOptions = {}): SgMatcher {
  return new AhoCorasickMatcher(phrases, opts.denseGotoLimit ?? DENSE_LIMIT)
}
