import { APOSTROPHE, ASCII_CLASS, CURLY_APOSTROPHE, normalizeSpan, wordCharWidth } from './chars'
import { hashSpan, WordVocab } from './vocab'
import { createWasmScan, type Utf16Writer, type WasmScan } from './wasmScan'

/** The words of one text (SPEC §1) as parallel arrays. */
export interface Words {
  readonly text: string
  readonly count: number
  /** Character span of word i: [starts[i], ends[i]) in UTF-16 code units. */
  readonly starts: Int32Array
  readonly ends: Int32Array
  /** joined[i] = 1 when words i and i+1 have no break between them; joined[count-1] = 0. */
  readonly joined: Uint8Array
  /** Word ids in `vocab` (-1 = not in a frozen vocabulary); present when a vocab was given. */
  readonly ids?: Int32Array
  readonly vocab?: WordVocab
  /** Normalized form of word i: lower case, ’ read as '. */
  norm(i: number): string
}

// Scratch space shared by all calls (JS is single threaded), overwritten by the next scan.
// After scanWords, word k is read from `bounds` with stride 4: its start at 4k, its end at
// 4k + 2, its id as `accept[bounds[4k + 3]]` (when a vocabulary was given), and at 4k + 5 the
// flags of the gap after it (GAP_BREAK when a break follows it, and always after the last
// word). The hot paths (the matcher, the metrics) read this directly; splitWords copies it out.
export const scratch: { bounds: Int32Array; accept: Int32Array } = {
  bounds: new Int32Array(0),
  accept: new Int32Array(0)
}

/** Flag in `scratch.bounds[4k + 5]`: a break (SPEC §1) lies between word k and word k + 1. */
export const GAP_BREAK = 1 << 16

let shifted = new Int32Array(0)
/**
 * The `accept` table for ids stored as id + 1 (scans without a vocabulary automaton, and word
 * lists made elsewhere), ids below `size`: v → v - 1.
 */
export function idShift(size: number): Int32Array {
  if (shifted.length < size + 1) {
    shifted = new Int32Array(Math.max(size + 1, shifted.length * 2, 1024))
    for (let v = 0; v < shifted.length; v++) shifted[v] = v - 1
  }
  return shifted
}

// The JS pass's own arrays (scratch.bounds is these or the wasm pass's, whichever ran last).
let jsCap = 0
let jsBounds = new Int32Array(0)
let jsBreaks = new Int32Array(0)

function ensure(n: number): void {
  if (n <= jsCap) return
  const cap = Math.max(n, jsCap * 2, 1024)
  jsCap = cap
  // Two entries per boundary, n + 1 boundaries at most.
  jsBounds = new Int32Array(2 * cap + 8)
  jsBreaks = new Int32Array(cap + 2)
}

/** Which character pass scanWords runs: the WebAssembly one where the host can feed it, else JS. */
export type CharPassKind = 'wasm' | 'js'

// Texts shorter than this stay in JS: the copy and the call cost more than they save.
const WASM_MIN_CHARS = 64
let wasmMinChars = WASM_MIN_CHARS
let wasmPass: WasmScan | null | undefined
let lastScanWasm = false
let wanted: CharPassKind = 'wasm'

// The copy into wasm memory needs a native UTF-16 write: Node's Buffer has one (the CLI, the
// back end and its workers); a browser has none, so the renderer keeps the JS pass.
function nodeUtf16Writer(): Utf16Writer | null {
  const B = (globalThis as { Buffer?: { from(b: ArrayBuffer): { write(s: string, o: number, e: string): number; ucs2Write?(s: string, o: number): number } } }).Buffer
  if (typeof B?.from !== 'function') return null
  return (buffer) => {
    const view = B.from(buffer)
    // Node's own method under Buffer#write(…, 'utf16le') (not in its types): write's handling of
    // its arguments cost as much as copying a response.
    if (typeof view.ucs2Write === 'function') {
      return (text, byteOffset) => {
        view.ucs2Write!(text, byteOffset)
      }
    }
    return (text, byteOffset) => {
      view.write(text, byteOffset, 'utf16le')
    }
  }
}

function wasm(): WasmScan | null {
  if (wasmPass === undefined) {
    const writer = nodeUtf16Writer()
    try {
      wasmPass = writer ? createWasmScan(writer) : null
    } catch {
      // A host that forbids compiling WebAssembly (a strict content security policy): JS then.
      wasmPass = null
    }
  }
  return wasmPass
}

/**
 * Chooses the character pass ('wasm' falls back to 'js' where it cannot run); returns the one
 * that will run. Both write the same scratch, to the bit: tests and benches compare them.
 * `minChars`: shorter texts take the JS pass (default 64; tests give 0 to send every text).
 */
export function useCharPass(kind: CharPassKind, opts: { minChars?: number } = {}): CharPassKind {
  wanted = kind
  wasmMinChars = opts.minChars ?? WASM_MIN_CHARS
  return charPassInUse()
}

export function charPassInUse(): CharPassKind {
  return wanted === 'wasm' && wasm() !== null ? 'wasm' : 'js'
}

/**
 * The WebAssembly kernels when a text of this length will be scanned by them (the matcher then
 * matches there too), else null.
 */
export function wasmScanFor(length: number): WasmScan | null {
  return length >= wasmMinChars && wanted === 'wasm' ? wasm() : null
}

/** Whether the last scanWords ran the WebAssembly pass (its scratch.bounds is that module's). */
export function lastScanInWasm(): boolean {
  return lastScanWasm
}

// chars.ts's ASCII classes as this module's own constant: the compiler then knows the array in
// the character loop (with the imported binding read instead, the loop ran 6% slower).
const CLASS = Uint8Array.from(ASCII_CLASS)
// The automaton of a scan without a vocabulary automaton: two states, every character leads
// to the root, so the character pass runs the same code either way.
const NO_DFA = new Uint16Array(2 * 128).fill(1)

class WordList implements Words {
  constructor(
    readonly text: string,
    readonly count: number,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    readonly joined: Uint8Array,
    readonly ids?: Int32Array,
    readonly vocab?: WordVocab
  ) {}

  norm(i: number): string {
    if (i < 0 || i >= this.count) throw new RangeError(`word index ${i} outside 0..${this.count - 1}`)
    const id = this.ids ? this.ids[i] : -1
    if (id >= 0 && this.vocab) return this.vocab.words[id]
    return normalizeSpan(this.text, this.starts[i], this.ends[i])
  }
}

/**
 * Splits `text` into words in one pass. With a vocabulary, also gives each word's id (a
 * frozen vocabulary answers -1 for words it does not know, without allocating).
 */
export function splitWords(text: string, vocab?: WordVocab): Words {
  const count = scanWords(text, vocab)
  const b = scratch.bounds
  const starts = new Int32Array(count)
  const ends = new Int32Array(count)
  const joined = new Uint8Array(count)
  const ids = vocab ? new Int32Array(count) : undefined
  const accept = scratch.accept
  for (let k = 0; k < count; k++) {
    starts[k] = b[4 * k]
    ends[k] = b[4 * k + 2]
    joined[k] = (b[4 * k + 5] & GAP_BREAK) === 0 ? 1 : 0
    if (ids) ids[k] = accept[b[4 * k + 3]]
  }
  return new WordList(text, count, starts, ends, joined, ids, vocab)
}

/**
 * The scanner behind splitWords: fills `scratch` (see there) and returns the word count. The
 * scratch is overwritten by the next call.
 *
 * One pass over the characters with no data-dependent branch for letters, digits and plain
 * separators: word starts and ends are unpredictable, and a mispredicted branch costs more
 * than the rest of a character's work. At each character it writes slot `bc` (even = the gap
 * before word bc/2, odd = word (bc-1)/2) of `bounds`: the index (the last write is the start
 * of a word or the end of one) and the vocabulary automaton's state; `bc` grows by one at
 * each start and end. Word k's record then sits at 4k..4k+5 as scratch describes, with no
 * second pass. The rare characters leave the loop: breaks (their gap slots get GAP_BREAK once
 * the pass is over), apostrophes (part of the word when letters surround it: a look at the
 * next character) and non-ASCII ones. (One interleaved array, not two: two arrays a multiple
 * of 4 KiB apart make every store alias the other's.)
 */
export function scanWords(text: string, vocab?: WordVocab): number {
  const n = text.length
  const dfa = vocab ? vocab.dfa : null
  const trans = dfa ? dfa.scan : NO_DFA
  let bc = -1
  const w = wasmScanFor(n)
  if (w !== null) {
    bc = w.run(text, trans)
    if (bc >= 0) scratch.bounds = w.bounds
  }
  lastScanWasm = bc >= 0
  if (bc < 0) {
    if (n + 2 > jsCap) ensure(n + 2)
    scratch.bounds = jsBounds
    bc = charPass(text, trans, jsBounds, jsBreaks)
  }
  const bounds = scratch.bounds
  const count = (bc + 1) >> 1

  // The last word's gap: a break, so nothing matches past the text's end.
  const lastGap = (bc + 1) & ~1
  bounds[2 * lastGap + 1] = (lastGap === bc ? bounds[2 * lastGap + 1] : 0) | GAP_BREAK
  if (dfa) scratch.accept = dfa.accept
  else if (vocab) {
    for (let k = 0; k < count; k++) bounds[4 * k + 3] = 1 + vocab.lookupSpan(text, bounds[4 * k], bounds[4 * k + 2], hashSpan(text, bounds[4 * k], bounds[4 * k + 2]))
    scratch.accept = idShift(vocab.size)
  }
  return count
}

// The character pass of scanWords (see there), on its own: scanWords stays small enough for
// the compiler to inline into its callers, and this loop is compiled by itself.
function charPass(text: string, trans: Uint16Array, bounds: Int32Array, breaks: Int32Array): number {
  const n = text.length
  // Module-level bindings as locals: the loop then reads registers, not the module context.
  // Classes above 1 (breaks, apostrophes) are the rare ones handled below the loop.
  const classOf = CLASS
  // "Was the last character a letter" is bc's parity (odd inside a word).
  let bc = 0
  let st = 1
  let nBreaks = 0
  let i = 0
  for (;;) {
    // Letters, digits and plain separators: the bulk of any text, with as little state as
    // possible (breaks, apostrophes and non-ASCII characters leave for the code below).
    for (; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c >= 128) break
      const k = classOf[c]
      if (k > 1) break
      bounds[2 * bc] = i
      bounds[2 * bc + 1] = st
      bc += k ^ (bc & 1)
      st = trans[(st << 7) | c]
    }
    if (i >= n) break
    const c = text.charCodeAt(i)
    let k: number
    let next: number
    let width = 1
    if (c === APOSTROPHE || c === CURLY_APOSTROPHE) {
      // Part of the word when letters surround it (SPEC §1); ’ is read as '.
      k = (bc & 1) === 1 && i + 1 < n && wordCharWidth(text, i + 1, n) > 0 ? 1 : 0
      next = k === 1 ? trans[(st << 7) | APOSTROPHE] : 1
    } else if (c < 128) {
      // A break: its gap gets the GAP_BREAK flag once the pass is over.
      k = 0
      next = 1
    } else {
      const w = wordCharWidth(text, i, n)
      k = w > 0 ? 1 : 0
      if (w === 2) width = 2
      // No ASCII vocabulary word contains a non-ASCII letter.
      next = k === 1 ? 0 : 1
    }
    bounds[2 * bc] = i
    bounds[2 * bc + 1] = st
    bc += k ^ (bc & 1)
    if (c < 128 && k === 0 && c !== APOSTROPHE) breaks[nBreaks++] = bc
    st = next
    // An astral letter's low half belongs to it: no record of its own is needed, the next
    // character's record (or the end's) follows.
    i += width
  }
  bounds[2 * bc] = n
  bounds[2 * bc + 1] = st
  // The gap slots that hold a break (even slots: a break is never part of a word).
  for (let b = 0; b < nBreaks; b++) bounds[2 * breaks[b] + 1] |= GAP_BREAK
  return bc
}

