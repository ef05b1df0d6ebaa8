import { ASCII_CLASS, wordCharWidth } from './chars'
import {
  add, and, block, br, brIf, call, else_, end, eq, eqz, geU, get, gtU, I32, i32, if_, ifI32, load, load16, load8, loop, ltU, mul, name, ne, or,
  memoryCopy, PAGE, ret, section, select, set, shl, shrS, shrU, store, store8, sub, tee, uleb, webAssembly, xor
} from './wasmAsm'

// The two hot loops of a scan as one small WebAssembly module, for hosts that can copy a
// string's code units into its memory with one native call (Node's Buffer#write): the character
// pass of scanWords (words.ts) and the dense SG matcher's loop (matcher.ts runDense). V8's
// optimized JS for the character pass re-dispatches on the string's representation at every
// `charCodeAt` and re-checks every typed array passed in; the wasm loops read plain memory.
// Measured on the 200 MB verl dump's responses, copy included: the character pass 2–3× the JS
// one's speed, the matcher about 1.4–1.6× (docs/core.md), each faster again since (*The kernels
// again*: the pass ~1.2×, the matcher ~1.7×). Both write exactly what the JS loops write: the
// words, matcher and text-metric tests run with each.
//
// Memory: [0, 128) ASCII classes; [1024, 1024 + 65536) the BMP's word characters, filled lazily
// (0 unknown, 1 no, 2 yes, as chars.ts keeps them); from TABLES the automata (an automaton of up
// to 256 states as row offsets, see passBody) and the matchers' tables in use (one copy each,
// kept by identity); after them the scan's scratch: the text as
// UTF-16 code units, `bounds` and the list of break gaps (laid out as the JS pass lays them
// out), then the occurrences.

const BMP = 1024
const TABLES = 2 * 65536
const GAP_BREAK = 1 << 16
/** Tables kept in memory at once: past this all are dropped, and copied in again when next used. */
const TABLE_BYTES_LIMIT = 64 << 20
/** Automata of at most this many states are read by passRows (each state × 256 fits 16 bits). */
const ROWS_MAX_STATES = 256

// Functions: 0 astral(cp) and 1 bmp(c) are imported; 2 wcw, 3 pass, 4 match, 5 passRows (3-5 exported).
const F_ASTRAL = 0
const F_BMP = 1
const F_WCW = 2

/** wordCharWidth (chars.ts) over the copied text: (text, n, j) → 0, 1 or 2. */
function wcwBody(): number[] {
  const [text, n, j, c, d, v] = [0, 1, 2, 3, 4, 5]
  return [
    1, 3, I32,
    ...get(text), ...get(j), ...i32(1), ...shl, ...add, ...load16(), ...tee(c), ...i32(128), ...ltU, ...if_,
    ...get(c), ...load8(), ...i32(1), ...and, ...ret, ...end,
    ...get(c), ...i32(0xfc00), ...and, ...i32(0xd800), ...eq, ...if_,
    ...get(j), ...i32(1), ...add, ...get(n), ...geU, ...if_, ...i32(0), ...ret, ...end,
    ...get(text), ...get(j), ...i32(1), ...shl, ...add, ...load16(2), ...tee(d), ...i32(0xfc00), ...and, ...i32(0xdc00), ...ne, ...if_, ...i32(0), ...ret, ...end,
    ...get(c), ...i32(0xd800), ...sub, ...i32(10), ...shl, ...get(d), ...i32(0xdc00), ...sub, ...add, ...i32(0x10000), ...add,
    ...call(F_ASTRAL), ...i32(0), ...ne, ...i32(1), ...shl, ...ret, ...end,
    ...get(c), ...i32(0xfc00), ...and, ...i32(0xdc00), ...eq, ...if_, ...i32(0), ...ret, ...end,
    ...get(c), ...load8(BMP), ...tee(v), ...eqz, ...if_,
    ...get(c), ...get(c), ...call(F_BMP), ...tee(v), ...store8(BMP), ...end,
    ...get(v), ...i32(1), ...shrU,
    ...end
  ]
}

/**
 * charPass (words.ts) line for line: (text, n, trans, bounds, breaks) → bc. With `rows`, the
 * automaton's copy holds each state times 256 (the byte offset of its row of 128 Uint16), and so
 * does st: the load chain through the states is then an add and a load per character.
 */
function passBody(rows: boolean): number[] {
  const [text, n, trans, bounds, breaks] = [0, 1, 2, 3, 4]
  const [i, bc, st, c, k, nb, a, next, width, w] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
  const ROOT = rows ? 256 : 1
  const state = rows ? [...get(st), ...i32(8), ...shrU] : get(st)
  // The address of st's entry for the character pushed by `ch`.
  const entry = (ch: number[]) => rows ? [...get(st), ...get(trans), ...ch, ...i32(1), ...shl, ...add, ...add] : [...get(st), ...i32(8), ...shl, ...get(trans), ...ch, ...i32(1), ...shl, ...add, ...add]
  // bounds[2bc] = i, bounds[2bc + 1] = st; then bc += k ^ (bc & 1)
  const record = [
    ...get(bounds), ...get(bc), ...i32(3), ...shl, ...add, ...tee(a), ...get(i), ...store(),
    ...get(a), ...state, ...store(4),
    ...get(bc), ...get(k), ...get(bc), ...i32(1), ...and, ...xor, ...add, ...set(bc)
  ]
  return [
    1, 10, I32,
    ...i32(ROOT), ...set(st),
    // Past the text, a code unit that leaves the inner loop (the scratch holds n + 2 units).
    ...get(text), ...get(n), ...i32(1), ...shl, ...add, ...i32(-1), ...store(),
    ...block, // $done
    ...loop, // $outer
    ...block, // $rare
    ...loop, // $inner: letters, digits and plain separators
    ...get(text), ...get(i), ...i32(1), ...shl, ...add, ...load16(), ...tee(c), ...i32(128), ...geU, ...brIf(1),
    ...get(c), ...load8(), ...tee(k), ...i32(1), ...gtU, ...brIf(1),
    ...record,
    ...entry(get(c)), ...load16(), ...set(st),
    ...get(i), ...i32(1), ...add, ...set(i),
    ...br(0),
    ...end, // $inner
    ...end, // $rare: c is the character at i, or the end's sentinel
    ...get(i), ...get(n), ...geU, ...brIf(1),
    ...i32(1), ...set(width),
    ...get(c), ...i32(39), ...eq, ...get(c), ...i32(0x2019), ...eq, ...or, ...if_,
    // An apostrophe: part of the word when letters surround it; ’ is read as '.
    ...i32(0), ...set(k),
    ...get(bc), ...i32(1), ...and, ...get(i), ...i32(1), ...add, ...get(n), ...ltU, ...and, ...if_,
    ...get(text), ...get(n), ...get(i), ...i32(1), ...add, ...call(F_WCW), ...i32(0), ...ne, ...set(k), ...end,
    ...entry(i32(39)), ...load16(), ...i32(ROOT), ...get(k), ...select, ...set(next),
    ...else_,
    ...get(c), ...i32(128), ...ltU, ...if_,
    // A break.
    ...i32(0), ...set(k), ...i32(ROOT), ...set(next),
    ...else_,
    ...get(text), ...get(n), ...get(i), ...call(F_WCW), ...tee(w), ...i32(0), ...ne, ...tee(k), ...i32(1), ...xor, ...i32(rows ? 8 : 0), ...shl, ...set(next),
    ...i32(2), ...i32(1), ...get(w), ...i32(2), ...eq, ...select, ...set(width),
    ...end,
    ...end,
    ...record,
    ...get(c), ...i32(128), ...ltU, ...get(k), ...eqz, ...and, ...get(c), ...i32(39), ...ne, ...and, ...if_,
    ...get(breaks), ...get(nb), ...i32(2), ...shl, ...add, ...get(bc), ...store(),
    ...get(nb), ...i32(1), ...add, ...set(nb),
    ...end,
    ...get(next), ...set(st),
    ...get(i), ...get(width), ...add, ...set(i),
    ...br(0),
    ...end, // $outer
    ...end, // $done
    ...get(bounds), ...get(bc), ...i32(3), ...shl, ...add, ...tee(a), ...get(n), ...store(),
    ...get(a), ...state, ...store(4),
    // The gap slots that hold a break get GAP_BREAK.
    ...i32(0), ...set(w),
    ...block, ...loop,
    ...get(w), ...get(nb), ...geU, ...brIf(1),
    ...get(bounds), ...get(breaks), ...get(w), ...i32(2), ...shl, ...add, ...load(), ...i32(3), ...shl, ...add, ...tee(a),
    ...get(a), ...load(4), ...i32(GAP_BREAK), ...or, ...store(4),
    ...get(w), ...i32(1), ...add, ...set(w),
    ...br(0),
    ...end, ...end,
    ...get(bc),
    ...end
  ]
}

/**
 * Chains of the matcher at most: their word ranges and occurrence counters live at CHAINS_AT.
 * Eight, not four: between two responses the parse and the character pass evict a mined set's
 * goto table (~1 MB), and then each chain waits on memory at its words; eight chains have twice
 * the loads in flight. In bench:core, alternating runs, the 5,000 SGs' CPU 2.50-2.68 s against
 * 2.63-2.97 s with four, the 18 SGs' about the same or less; twelve measured as eight. (With
 * the tables in cache, as in a harness matching one text again and again, two to four chains
 * measured the same: docs/core.md.)
 */
export const MATCH_CHAINS = 8
const CHAINS_AT = 256

/**
 * The dense matcher's loop (matcher.ts runDense) over up to MATCH_CHAINS chains of words taken in turn,
 * each chain a range of words starting after a break (where the automaton is at its root
 * anyway): each word's state waits on the previous word's load, and the chains' loads overlap.
 * (wb, accept, delta, V, wide, outStart, outGram, gramLen, oGram, oFirst, oEnd); chain c's
 * [start, end) and first occurrence slot are read at CHAINS_AT + 12c, and its occurrence count
 * is kept in that slot. wide: delta holds Int32 entries, else Uint16.
 *
 * The chains run together while each has words (no bound test per chain), then each
 * chain's rest alone; a word that ends occurrences (a few in a hundred) leaves the loop's
 * straight line for the code that writes them, so the loop keeps its state in registers.
 */
function matchBody(): number[] {
  const [wb, accept, delta, V, wide, outStart, outGram, gramLen, oGram, oFirst, oEnd] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const C = MATCH_CHAINS
  const chains = Array.from({ length: C }, (_, c) => c)
  // p: the byte address of the chain's next word in wb; e: its end.
  const p = chains.map((c) => 11 + c)
  const e = chains.map((c) => 11 + C + c)
  const st = chains.map((c) => 11 + 2 * C + c)
  const first = chains.map((c) => 11 + 3 * C + c)
  const n = chains.map((c) => 11 + 4 * C + c)
  const [id, a, t, s, eo, j1, g, o, stop, dst, len] = Array.from({ length: 11 }, (_, k) => 11 + 5 * C + k)
  const counter = (c: number) => CHAINS_AT + 12 * c + 8
  // The occurrences of the state just entered (outputs [s, eo) of outStart at t) for the word at p.
  const emit = (c: number) => [
    ...i32(0), ...load(counter(c)), ...set(o),
    ...get(t), ...load(4), ...set(eo),
    ...get(p[c]!), ...get(wb), ...sub, ...i32(4), ...shrU, ...i32(1), ...add, ...set(j1),
    ...loop,
    ...get(outGram), ...get(s), ...i32(2), ...shl, ...add, ...load(), ...set(g),
    ...get(oGram), ...get(o), ...i32(2), ...shl, ...add, ...get(g), ...store(),
    ...get(oFirst), ...get(o), ...i32(2), ...shl, ...add, ...get(j1), ...get(gramLen), ...get(g), ...i32(2), ...shl, ...add, ...load(), ...sub, ...store(),
    ...get(oEnd), ...get(o), ...i32(2), ...shl, ...add, ...get(j1), ...store(),
    ...get(o), ...i32(1), ...add, ...set(o),
    ...get(s), ...i32(1), ...add, ...tee(s), ...get(eo), ...ltU, ...brIf(0),
    ...end,
    ...i32(0), ...get(o), ...store(counter(c))
  ]
  // One word of chain c.
  const step = (c: number, w: boolean) => [
    // id −1 → the root column V − 1.
    ...get(accept), ...get(p[c]!), ...load(12), ...i32(2), ...shl, ...add, ...load(), ...tee(id),
    ...get(st[c]!), ...get(V), ...mul, ...add, ...get(id), ...i32(31), ...shrS, ...get(V), ...and, ...add, ...set(a),
    ...get(delta), ...get(a), ...i32(w ? 2 : 1), ...shl, ...add, ...(w ? load() : load16()), ...tee(st[c]!),
    ...i32(2), ...shl, ...get(outStart), ...add, ...tee(t), ...load(), ...tee(s), ...get(t), ...load(4), ...ne, ...if_, ...emit(c), ...end,
    // After a break the root: the gap's flags are its state (under 2^16) and GAP_BREAK.
    ...get(st[c]!), ...get(p[c]!), ...load(20), ...i32(16), ...shrU, ...i32(1), ...sub, ...and, ...set(st[c]!),
    ...get(p[c]!), ...i32(16), ...add, ...set(p[c]!)
  ]
  const loops = (w: boolean) => [
    // All chains while the shortest has words.
    ...block, ...loop,
    ...get(p[0]!), ...get(stop), ...geU, ...brIf(1),
    ...chains.flatMap((c) => step(c, w)),
    ...br(0),
    ...end, ...end,
    // Then each chain's rest.
    ...chains.flatMap((c) => [
      ...block, ...loop,
      ...get(p[c]!), ...get(e[c]!), ...geU, ...brIf(1),
      ...step(c, w),
      ...br(0),
      ...end, ...end
    ])
  ]
  // Chain c's occurrences moved down to dst in each of the three arrays.
  const compact = (c: number) => [
    ...get(n[c]!), ...get(first[c]!), ...sub, ...tee(len), ...i32(0), ...gtU, ...get(dst), ...get(first[c]!), ...ne, ...and, ...if_,
    ...[oGram, oFirst, oEnd].flatMap((arr) => [
      ...get(arr), ...get(dst), ...i32(2), ...shl, ...add, ...get(arr), ...get(first[c]!), ...i32(2), ...shl, ...add, ...get(len), ...i32(2), ...shl, ...memoryCopy
    ]),
    ...end,
    ...get(dst), ...get(len), ...add, ...set(dst)
  ]
  return [
    1, 5 * C + 11, I32,
    ...chains.flatMap((c) => [
      ...get(wb), ...i32(0), ...load(CHAINS_AT + 12 * c), ...i32(4), ...shl, ...add, ...set(p[c]!),
      ...get(wb), ...i32(0), ...load(CHAINS_AT + 12 * c + 4), ...i32(4), ...shl, ...add, ...set(e[c]!),
      ...i32(0), ...load(counter(c)), ...set(first[c]!)
    ]),
    // stop: chain 0's position once the shortest chain is done.
    ...get(e[0]!), ...get(p[0]!), ...sub, ...set(len),
    ...chains.slice(1).flatMap((c) => [
      ...get(e[c]!), ...get(p[c]!), ...sub, ...tee(a), ...get(len), ...get(a), ...get(len), ...ltU, ...select, ...set(len)
    ]),
    ...get(p[0]!), ...get(len), ...add, ...set(stop),
    ...get(wide), ...if_, ...loops(true), ...else_, ...loops(false), ...end,
    ...chains.flatMap((c) => [...i32(0), ...load(counter(c)), ...set(n[c]!)]),
    // Each chain's occurrences after the previous chain's: in order of end word. The count goes
    // where chain 0's first slot was read.
    ...get(n[0]!), ...set(dst),
    ...chains.slice(1).flatMap((c) => compact(c)),
    ...i32(0), ...get(dst), ...store(CHAINS_AT + 8),
    ...end
  ]
}

function moduleBytes(): Uint8Array {
  const body = (b: number[]) => [...uleb(b.length), ...b]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [[0x60, 1, I32, 1, I32], [0x60, 3, I32, I32, I32, 1, I32], [0x60, 5, I32, I32, I32, I32, I32, 1, I32],
      [0x60, 11, ...new Array(11).fill(I32), 0]]),
    ...section(2, [[...name('h'), ...name('memory'), 0x02, 0x00, ...uleb(4)], [...name('h'), ...name('astral'), 0x00, 0], [...name('h'), ...name('bmp'), 0x00, 0]]),
    ...section(3, [[1], [2], [3], [2]]),
    ...section(7, [[...name('pass'), 0x00, 3], [...name('match'), 0x00, 4], [...name('passRows'), 0x00, 5]]),
    ...section(10, [body(wcwBody()), body(passBody(false)), body(matchBody()), body(passBody(true))])
  ])
}

/** Copies a string's UTF-16 code units into memory at a byte offset (the host's fast native copy). */
export type Utf16Writer = (buffer: ArrayBuffer) => (text: string, byteOffset: number) => void

type Table = Int32Array | Uint16Array

/** The dense matcher's tables (matcher.ts), as runDense takes them. */
export interface DenseTables {
  accept: Int32Array
  delta: Uint16Array | Int32Array
  V: number
  outStart: Int32Array
  outGram: Int32Array
  gramLen: Int32Array
  maxOut: number
}

export interface WasmScan {
  /**
   * Makes these tables resident before a scan (adding one moves the scratch, so it must not
   * happen between a scan and the matching that reads its bounds).
   */
  prepare(tables: readonly Table[]): boolean
  /**
   * The character pass over `text` with automaton `trans`; returns bc as the JS pass does, or
   * -1 when memory for this text cannot be had (the caller then runs the JS pass).
   */
  run(text: string, trans: Uint16Array): number
  /** The bounds the last run wrote (a view into the module's memory). */
  readonly bounds: Int32Array
  /**
   * Matches the words of the last run as runDense does, in chains starting at the word indices
   * `splits` (ascending, each word after a break; at most MATCH_CHAINS - 1 of them); the tables
   * must have been prepared before that run. Answers the occurrence count, or -1 when memory
   * cannot be had (nothing was written: run the JS matcher).
   */
  match(t: DenseTables, count: number, splits: readonly number[]): number
  /** The occurrences the last match wrote (views into the module's memory). */
  readonly occ: { gram: Int32Array; first: Int32Array; end: Int32Array }
}

type PassFn = (text: number, n: number, trans: number, bounds: number, breaks: number) => number
type MatchFn = (wb: number, accept: number, delta: number, V: number, wide: number, outStart: number, outGram: number,
  gramLen: number, oGram: number, oFirst: number, oEnd: number) => void

const align64 = (x: number) => (x + 63) & ~63

/** Builds the kernels, or answers null where WebAssembly is not available. */
export function createWasmScan(writer: Utf16Writer): WasmScan | null {
  const wa = webAssembly()
  if (wa === undefined) return null
  const memory = new wa.Memory({ initial: 4 })
  const instance = new wa.Instance(new wa.Module(moduleBytes()), {
    h: {
      memory,
      astral: (cp: number) => (wordCharWidth(String.fromCodePoint(cp), 0, 2) === 2 ? 1 : 0),
      bmp: (c: number) => (wordCharWidth(String.fromCharCode(c), 0, 1) === 1 ? 2 : 1)
    }
  })
  const pass = instance.exports.pass as PassFn
  const passRows = instance.exports.passRows as PassFn
  const matchFn = instance.exports.match as MatchFn
  new Uint8Array(memory.buffer).set(ASCII_CLASS, 0)

  const tables = new Map<Table, number>()
  // Automata whose copies hold rows (state × 256) instead of states: passRows reads them.
  const inRows = new WeakSet<Table>()
  const toRows = (t: Table, at: number) => {
    const m = new Uint16Array(memory.buffer, at, t.length)
    for (let x = 0; x < t.length; x++) m[x] = t[x]! << 8
  }
  let tablesEnd = TABLES
  // The scratch, after the tables: the text (cap code units), bounds, breaks, then the
  // occurrences (occCap entries each of gram, first, end).
  let cap = 0
  let occCap = 0
  let textAt = 0
  let bAt = 0
  let breaksAt = 0
  let occAt = 0
  const layout = (c: number, oc: number) => {
    version++
    textAt = tablesEnd
    bAt = textAt + align64(2 * c)
    breaksAt = bAt + 4 * (2 * c + 8)
    occAt = breaksAt + align64(4 * (c + 2))
    return occAt + 12 * oc
  }
  let write = writer(memory.buffer)
  // Views are made again once the memory's buffer or the layout changes.
  let viewsOf: ArrayBuffer | null = null
  let viewsFor = -1
  // Bumped by every change of the layout (the tables' end, cap, occCap).
  let version = 0
  let boundsView = new Int32Array(0)
  let chainsView = new Int32Array(0)
  let occViews = { gram: new Int32Array(0), first: new Int32Array(0), end: new Int32Array(0) }
  const views = () => {
    if (viewsOf === memory.buffer && viewsFor === version) return
    viewsOf = memory.buffer
    viewsFor = version
    boundsView = new Int32Array(memory.buffer, bAt, 2 * cap + 8)
    chainsView = new Int32Array(memory.buffer, CHAINS_AT, 3 * MATCH_CHAINS)
    occViews = {
      gram: new Int32Array(memory.buffer, occAt, occCap),
      first: new Int32Array(memory.buffer, occAt + 4 * occCap, occCap),
      end: new Int32Array(memory.buffer, occAt + 8 * occCap, occCap)
    }
  }

  // Makes memory hold [0, bytes); views over the old buffer are dead after a grow.
  const reserve = (bytes: number): boolean => {
    const have = memory.buffer.byteLength
    if (bytes <= have) return true
    try {
      memory.grow(Math.ceil((Math.max(bytes, 2 * have) - have) / PAGE))
    } catch {
      try {
        memory.grow(Math.ceil((bytes - have) / PAGE))
      } catch {
        return false
      }
    }
    write = writer(memory.buffer)
    return true
  }

  // The last list found resident, while no table has been dropped since: a matcher asks with
  // the same list for every text, and six Map lookups a text added up.
  let residentList: readonly Table[] | null = null
  const prepare = (need: readonly Table[]): boolean => {
    if (need === residentList) return true
    let missing = 0
    for (const t of need) if (!tables.has(t)) missing += align64(t.byteLength)
    if (missing === 0) {
      residentList = need
      return true
    }
    residentList = null
    if (tablesEnd + missing > TABLES + TABLE_BYTES_LIMIT) {
      tables.clear()
      tablesEnd = TABLES
      missing = need.reduce((s, t) => s + align64(t.byteLength), 0)
    }
    if (!reserve(layout(cap, occCap) + missing)) return false
    for (const t of need) {
      if (tables.has(t)) continue
      if (inRows.has(t)) toRows(t, tablesEnd)
      else new Uint8Array(memory.buffer, tablesEnd, t.byteLength).set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength))
      tables.set(t, tablesEnd)
      tablesEnd += align64(t.byteLength)
    }
    layout(cap, occCap)
    return true
  }

  return {
    prepare,
    run(text: string, trans: Uint16Array): number {
      const n = text.length
      // A matcher has made its automaton resident already; a bare scan's is added here.
      if (!tables.has(trans) && !prepare([trans])) return -1
      if (n + 2 > cap) {
        const c = Math.max(n + 2, 2 * cap, 1024)
        if (!reserve(layout(c, occCap))) {
          layout(cap, occCap)
          return -1
        }
        cap = c
      }
      write(text, textAt)
      const at = tables.get(trans)!
      if (trans.length > ROWS_MAX_STATES * 128) return pass(textAt, n, at, bAt, breaksAt)
      if (!inRows.has(trans)) {
        // Made resident by a matcher's prepare as it is: its copy is turned into rows in place.
        toRows(trans, at)
        inRows.add(trans)
      }
      return passRows(textAt, n, at, bAt, breaksAt)
    },
    get bounds() {
      views()
      return boundsView
    },
    match(t: DenseTables, count: number, splits: readonly number[]): number {
      const need = count * t.maxOut
      if (need > occCap) {
        const oc = Math.max(need, 2 * occCap, 1024)
        if (!reserve(layout(cap, oc))) {
          layout(cap, occCap)
          return -1
        }
        occCap = oc
      }
      // Chain c: words [bounds[c], bounds[c + 1]), its occurrences from slot start * maxOut on.
      views()
      const chains = chainsView
      for (let c = 0; c < MATCH_CHAINS; c++) {
        const from = c === 0 ? 0 : c <= splits.length ? splits[c - 1]! : count
        const to = c < splits.length ? splits[c]! : count
        chains[3 * c] = from
        chains[3 * c + 1] = to
        chains[3 * c + 2] = from * t.maxOut
      }
      const at = (x: Table) => tables.get(x)!
      matchFn(bAt, at(t.accept), at(t.delta), t.V, t.delta instanceof Int32Array ? 1 : 0, at(t.outStart), at(t.outGram), at(t.gramLen),
        occAt, occAt + 4 * occCap, occAt + 8 * occCap)
      // The module put the chains' occurrences one after another and left their count here.
      return chains[2]!
    },
    get occ() {
      views()
      return occViews
    }
  }
}
