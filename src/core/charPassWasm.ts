import { ASCII_CLASS, wordCharWidth } from './chars'

// The character pass of scanWords (words.ts) as a small WebAssembly function, for hosts that can
// copy a string's code units into its memory with one native call (Node's Buffer#write). V8's
// optimized JS for the same loop re-dispatches on the string's representation at every
// `charCodeAt` and re-checks every typed array passed in; the wasm loop reads plain memory.
// Measured on the 200 MB verl dump's responses, copy included: 2–3× the JS pass's speed
// (docs/core.md). It writes exactly what the JS pass writes (tests/core/words.test.ts runs both).
//
// Memory: [0, 128) ASCII classes; [1024, 1024 + 65536) the BMP's word characters, filled lazily
// (0 unknown, 1 no, 2 yes, as chars.ts keeps them); from TABLES the vocabulary automata
// (Uint16, one copy per automaton in use); after them the scan's scratch: the text as UTF-16
// code units, `bounds` and the list of break gaps, laid out as the JS pass lays them out.

const BMP = 1024
const TABLES = 2 * 65536
const PAGE = 65536
const GAP_BREAK = 1 << 16
/** The automata kept in memory at once: more are dropped and copied in again when next used. */
const TABLE_BYTES_LIMIT = 64 << 20

// ---- a tiny assembler: the opcodes and encodings this module uses (WebAssembly 1.0) ----
const uleb = (n: number): number[] => {
  const o: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    o.push(b)
  } while (n !== 0)
  return o
}
const sleb = (n: number): number[] => {
  const o: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...o, b]
    o.push(b | 0x80)
  }
}
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]
const section = (id: number, items: number[][]): number[] => {
  const body = [...uleb(items.length), ...items.flat()]
  return [id, ...uleb(body.length), ...body]
}
const I32 = 0x7f
const VOID = 0x40
const get = (l: number) => [0x20, l]
const set = (l: number) => [0x21, l]
const tee = (l: number) => [0x22, l]
const i32 = (v: number) => [0x41, ...sleb(v)]
const load = (offset = 0) => [0x28, 2, ...uleb(offset)]
const load8 = (offset = 0) => [0x2d, 0, ...uleb(offset)]
const load16 = (offset = 0) => [0x2f, 1, ...uleb(offset)]
const store = (offset = 0) => [0x36, 2, ...uleb(offset)]
const store8 = (offset = 0) => [0x3a, 0, ...uleb(offset)]
const block = [0x02, VOID]
const loop = [0x03, VOID]
const if_ = [0x04, VOID]
const else_ = [0x05]
const end = [0x0b]
const br = (d: number) => [0x0c, d]
const brIf = (d: number) => [0x0d, d]
const ret = [0x0f]
const call = (f: number) => [0x10, f]
const select = [0x1b]
const [eqz, eq, ne, ltU, gtU, geU] = [[0x45], [0x46], [0x47], [0x49], [0x4b], [0x4f]]
const [add, sub, and, or, xor, shl, shrU] = [[0x6a], [0x6b], [0x71], [0x72], [0x73], [0x74], [0x76]]

// Functions: 0 astral(cp) and 1 bmp(c) are imported; 2 wcw, 3 pass (exported).
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

/** charPass (words.ts) line for line: (text, n, trans, bounds, breaks) → bc. */
function passBody(): number[] {
  const [text, n, trans, bounds, breaks] = [0, 1, 2, 3, 4]
  const [i, bc, st, c, k, nb, a, next, width, w] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
  // bounds[2bc] = i, bounds[2bc + 1] = st; then bc += k ^ (bc & 1)
  const record = [
    ...get(bounds), ...get(bc), ...i32(3), ...shl, ...add, ...tee(a), ...get(i), ...store(),
    ...get(a), ...get(st), ...store(4),
    ...get(bc), ...get(k), ...get(bc), ...i32(1), ...and, ...xor, ...add, ...set(bc)
  ]
  return [
    1, 10, I32,
    ...i32(1), ...set(st),
    ...block, // $done
    ...loop, // $outer
    ...block, // $rare
    ...loop, // $inner: letters, digits and plain separators
    ...get(i), ...get(n), ...geU, ...brIf(3),
    ...get(text), ...get(i), ...i32(1), ...shl, ...add, ...load16(), ...tee(c), ...i32(128), ...geU, ...brIf(1),
    ...get(c), ...load8(), ...tee(k), ...i32(1), ...gtU, ...brIf(1),
    ...record,
    ...get(trans), ...get(st), ...i32(7), ...shl, ...get(c), ...or, ...i32(1), ...shl, ...add, ...load16(), ...set(st),
    ...get(i), ...i32(1), ...add, ...set(i),
    ...br(0),
    ...end, // $inner
    ...end, // $rare: c is the character at i < n
    ...i32(1), ...set(width),
    ...get(c), ...i32(39), ...eq, ...get(c), ...i32(0x2019), ...eq, ...or, ...if_,
    // An apostrophe: part of the word when letters surround it; ’ is read as '.
    ...i32(0), ...set(k),
    ...get(bc), ...i32(1), ...and, ...get(i), ...i32(1), ...add, ...get(n), ...ltU, ...and, ...if_,
    ...get(text), ...get(n), ...get(i), ...i32(1), ...add, ...call(F_WCW), ...i32(0), ...ne, ...set(k), ...end,
    ...get(trans), ...get(st), ...i32(7), ...shl, ...i32(39), ...or, ...i32(1), ...shl, ...add, ...load16(), ...i32(1), ...get(k), ...select, ...set(next),
    ...else_,
    ...get(c), ...i32(128), ...ltU, ...if_,
    // A break.
    ...i32(0), ...set(k), ...i32(1), ...set(next),
    ...else_,
    ...get(text), ...get(n), ...get(i), ...call(F_WCW), ...tee(w), ...i32(0), ...ne, ...tee(k), ...i32(1), ...xor, ...set(next),
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
    ...get(a), ...get(st), ...store(4),
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

function moduleBytes(): Uint8Array {
  const body = (b: number[]) => [...uleb(b.length), ...b]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [[0x60, 1, I32, 1, I32], [0x60, 3, I32, I32, I32, 1, I32], [0x60, 5, I32, I32, I32, I32, I32, 1, I32]]),
    ...section(2, [[...name('h'), ...name('memory'), 0x02, 0x00, ...uleb(4)], [...name('h'), ...name('astral'), 0x00, 0], [...name('h'), ...name('bmp'), 0x00, 0]]),
    ...section(3, [[1], [2]]),
    ...section(7, [[...name('pass'), 0x00, 3]]),
    ...section(10, [body(wcwBody()), body(passBody())])
  ])
}

/** Copies a string's UTF-16 code units into memory at a byte offset (the host's fast native copy). */
export type Utf16Writer = (buffer: ArrayBuffer) => (text: string, byteOffset: number) => void

export interface WasmCharPass {
  /**
   * Runs the pass over `text` with automaton `trans`; returns bc as the JS pass does, or -1
   * when memory for this text cannot be had (the caller then runs the JS pass).
   */
  run(text: string, trans: Uint16Array): number
  /** The bounds the last run wrote (a view into the module's memory; replaced when it grows). */
  readonly bounds: Int32Array
}

// The few WebAssembly API members used (the core is compiled without the DOM's declarations).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory
  Module: new (bytes: Uint8Array) => object
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> }
}

/** Builds the pass, or answers null where WebAssembly is not available. */
export function createWasmCharPass(writer: Utf16Writer): WasmCharPass | null {
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  if (wa === undefined) return null
  const memory = new wa.Memory({ initial: 4 })
  const instance = new wa.Instance(new wa.Module(moduleBytes()), {
    h: {
      memory,
      astral: (cp: number) => (wordCharWidth(String.fromCodePoint(cp), 0, 2) === 2 ? 1 : 0),
      bmp: (c: number) => (wordCharWidth(String.fromCharCode(c), 0, 1) === 1 ? 2 : 1)
    }
  })
  const pass = instance.exports.pass as (text: number, n: number, trans: number, bounds: number, breaks: number) => number
  new Uint8Array(memory.buffer).set(ASCII_CLASS, 0)

  const tables = new Map<Uint16Array, number>()
  let tablesEnd = TABLES
  let cap = 0
  let write = writer(memory.buffer)
  let bounds = new Int32Array(0)
  let boundsAt = -1

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
    boundsAt = -1
    return true
  }

  const tableAt = (trans: Uint16Array): number => {
    const at = tables.get(trans)
    if (at !== undefined) return at
    if (tablesEnd + trans.byteLength > TABLES + TABLE_BYTES_LIMIT) {
      tables.clear()
      tablesEnd = TABLES
    }
    const off = tablesEnd
    if (!reserve(off + trans.byteLength)) return -1
    new Uint16Array(memory.buffer, off, trans.length).set(trans)
    tables.set(trans, off)
    // Scratch follows the tables: it moves up, and its views with it.
    tablesEnd = (off + trans.byteLength + 63) & ~63
    boundsAt = -1
    return off
  }

  return {
    run(text: string, trans: Uint16Array): number {
      const n = text.length
      const t = tableAt(trans)
      if (t < 0) return -1
      const c = n + 2 > cap ? Math.max(n + 2, 2 * cap, 1024) : cap
      const textAt = tablesEnd
      const bAt = textAt + ((2 * c + 63) & ~63)
      const bLen = 2 * c + 8
      const breaksAt = bAt + 4 * bLen
      if (!reserve(breaksAt + 4 * (c + 2))) return -1
      cap = c
      if (boundsAt !== bAt || bounds.length !== bLen) {
        bounds = new Int32Array(memory.buffer, bAt, bLen)
        boundsAt = bAt
      }
      write(text, textAt)
      return pass(textAt, n, t, bAt, breaksAt)
    },
    get bounds() {
      return bounds
    }
  }
}
