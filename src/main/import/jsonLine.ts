import { Buffer } from 'node:buffer'
import {
  add, and, block, body, br, brIf, call, else_, end, eq, eqz, geU, get, gtU, I32, i32, i8x16Bitmask, i8x16Eq, i8x16LtU, i8x16Splat,
  if_, load, load8, loop, ltU, memoryCopy, name, ne, or, PAGE, ret, section, select, set, shl, shrU, store, store8, sub, tee, v128Load, v128Or, ctz,
  webAssembly, type WasmMemory
} from '../../core/wasmAsm'
import { latin1Slice, utf8Slice } from '../nodeBuffer'

// A JSONL line that is one flat-ish JSON object (a verl line, a rollout per line) read straight
// from its UTF-8 bytes into the object JSON.parse would give, without decoding the line into a
// string first. JSON.parse was 14% of an analysis worker's time and decoding each line 5% (2026-12-01):
// both walk every character of the long response. Here a small WebAssembly module finds the
// object's members, checks the syntax JSON.parse checks, and unescapes escaped strings; each
// string value is then made from its bytes in one native call (latin1 for ASCII), nested arrays
// and objects go to JSON.parse on their own bytes, and numbers are read as JSON.parse reads them.
// Anything the module is not sure of (an escaped key, a lone surrogate escape, `__proto__`, a
// line that is not valid JSON, too many members) is answered null, and the caller decodes the
// line and JSON.parses it as before: errors then read exactly as they did, and every value the
// scanner gives equals JSON.parse's (tests compare them on fixed and random lines, and a whole scan).

// Memory: [0, 16) results of the last call; HEX, ESC and NUM byte tables; the member table at
// TABLE (8 i32 a member); the line bytes at IN; unescaped strings after them at `out`.
const HEX = 256
const ESC = 512
const NUM = 768
const TABLE = 1024
/** Members a line may have for the scanner (more: the line goes to JSON.parse). */
const MAX_MEMBERS = 480
const IN = TABLE + 32 * MAX_MEMBERS + 64

// Functions (no imports but the memory).
const F_HEX4 = 0
const F_WS = 1
const F_STR = 2
const F_NESTED = 3

/** (p) → the code unit of the four hex digits at p, or -1. */
function hex4Body(): number[] {
  const [p, h, bad, v] = [0, 1, 2, 3]
  const digit = (k: number, shift: number) => [
    ...get(p), ...load8(k), ...load8(HEX), ...tee(h), ...get(bad), ...or, ...set(bad),
    ...get(v), ...get(h), ...i32(shift), ...shl, ...or, ...set(v)
  ]
  return body(3, [
    ...digit(0, 12), ...digit(1, 8), ...digit(2, 4), ...digit(3, 0),
    // Invalid digits are 0xff in the table.
    ...i32(-1), ...get(v), ...get(bad), ...i32(0xf0), ...and, ...select,
    ...end
  ])
}

/** (i, end) → the first index at or after i that is not JSON whitespace (or end). */
function wsBody(): number[] {
  const [i, e, c] = [0, 1, 2]
  return body(1, [
    ...block, ...loop,
    ...get(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...tee(c), ...i32(32), ...eq, ...get(c), ...i32(9), ...eq, ...or,
    ...get(c), ...i32(10), ...eq, ...or, ...get(c), ...i32(13), ...eq, ...or, ...eqz, ...brIf(1),
    ...get(i), ...i32(1), ...add, ...set(i),
    ...br(0),
    ...end, ...end,
    ...get(i),
    ...end
  ])
}

/**
 * (i, end, out) → the index after the closing quote of the string whose first byte is at i, or
 * -1 where JSON.parse would refuse it (a raw control character, a bad escape) or this scanner
 * leaves it to JSON.parse (a lone surrogate escape). memory[0] gets its flags (1: a byte ≥ 0x80
 * or an escape of a character ≥ 0x80, 2: escaped); an escaped string's UTF-8 is written from out
 * on, and memory[4] gets where it ends. Sixteen bytes a step: most strings are one long run.
 */
function strBody(): number[] {
  const [i, e, out, run, flags, c, m, u, u2, o, cp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const [acc, v, q, bs, sp] = [11, 12, 13, 14, 15]
  const utf8Tail = (x: number, shift: number, at: number) => [...get(o), ...get(x), ...i32(shift), ...shrU, ...i32(63), ...and, ...i32(0x80), ...or, ...store8(at)]
  // The raw run before an escape (or the closing quote) goes to the output.
  const flushRun = [...get(o), ...get(run), ...get(i), ...get(run), ...sub, ...memoryCopy, ...get(o), ...get(i), ...get(run), ...sub, ...add, ...set(o)]
  return body(8, [
    ...get(i), ...set(run), ...get(out), ...set(o),
    ...i32(34), ...i8x16Splat, ...set(q), ...i32(92), ...i8x16Splat, ...set(bs), ...i32(32), ...i8x16Splat, ...set(sp),
    ...block, // $fail
    ...block, // $done: i at the closing quote
    ...loop, // $scan
    ...block, // $special: the byte at i is a quote, a backslash or a control character (or fewer than 16 bytes are left)
    ...loop, // $simd
    ...get(i), ...i32(16), ...add, ...get(e), ...gtU, ...brIf(1),
    ...get(i), ...v128Load(), ...set(v),
    ...get(acc), ...get(v), ...v128Or, ...set(acc),
    ...get(v), ...get(q), ...i8x16Eq, ...get(v), ...get(bs), ...i8x16Eq, ...v128Or, ...get(v), ...get(sp), ...i8x16LtU, ...v128Or,
    ...i8x16Bitmask, ...tee(m), ...if_,
    ...get(i), ...get(m), ...ctz, ...add, ...set(i), ...br(2),
    ...end,
    ...get(i), ...i32(16), ...add, ...set(i),
    ...br(0),
    ...end, // $simd
    ...end, // $special
    ...get(i), ...get(e), ...geU, ...brIf(2),
    ...get(i), ...load8(), ...tee(c), ...i32(34), ...eq, ...brIf(1),
    ...get(c), ...i32(92), ...eq, ...if_, // depth: if 0, scan 1, done 2, fail 3
    ...flushRun,
    ...get(i), ...i32(1), ...add, ...get(e), ...geU, ...brIf(3),
    ...get(i), ...load8(1), ...tee(c), ...i32(117), ...eq, ...if_, // \u: fail 4
    ...get(i), ...i32(6), ...add, ...get(e), ...gtU, ...brIf(4),
    ...get(i), ...i32(2), ...add, ...call(F_HEX4), ...tee(u), ...i32(-1), ...eq, ...brIf(4),
    ...get(i), ...i32(6), ...add, ...set(i),
    ...get(u), ...i32(0xfc00), ...and, ...i32(0xd800), ...eq, ...if_, // a high surrogate: its low one must follow; fail 5
    ...get(i), ...i32(6), ...add, ...get(e), ...gtU, ...brIf(5),
    ...get(i), ...load8(), ...i32(92), ...ne, ...brIf(5),
    ...get(i), ...load8(1), ...i32(117), ...ne, ...brIf(5),
    ...get(i), ...i32(2), ...add, ...call(F_HEX4), ...tee(u2), ...i32(-1), ...eq, ...brIf(5),
    ...get(u2), ...i32(0xfc00), ...and, ...i32(0xdc00), ...ne, ...brIf(5),
    ...get(i), ...i32(6), ...add, ...set(i),
    ...get(u), ...i32(0xd800), ...sub, ...i32(10), ...shl, ...get(u2), ...i32(0xdc00), ...sub, ...add, ...i32(0x10000), ...add, ...set(cp),
    ...get(o), ...get(cp), ...i32(18), ...shrU, ...i32(0xf0), ...or, ...store8(),
    ...utf8Tail(cp, 12, 1), ...utf8Tail(cp, 6, 2), ...utf8Tail(cp, 0, 3),
    ...get(o), ...i32(4), ...add, ...set(o),
    ...get(flags), ...i32(1), ...or, ...set(flags),
    ...else_,
    ...get(u), ...i32(0xfc00), ...and, ...i32(0xdc00), ...eq, ...brIf(5),
    ...get(u), ...i32(0x80), ...ltU, ...if_,
    ...get(o), ...get(u), ...store8(), ...get(o), ...i32(1), ...add, ...set(o),
    ...else_,
    ...get(u), ...i32(0x800), ...ltU, ...if_,
    ...get(o), ...get(u), ...i32(6), ...shrU, ...i32(0xc0), ...or, ...store8(), ...utf8Tail(u, 0, 1),
    ...get(o), ...i32(2), ...add, ...set(o),
    ...else_,
    ...get(o), ...get(u), ...i32(12), ...shrU, ...i32(0xe0), ...or, ...store8(), ...utf8Tail(u, 6, 1), ...utf8Tail(u, 0, 2),
    ...get(o), ...i32(3), ...add, ...set(o),
    ...end,
    ...get(flags), ...i32(1), ...or, ...set(flags),
    ...end,
    ...end,
    ...else_, // a one-character escape: fail 4
    ...get(c), ...load8(ESC), ...tee(m), ...eqz, ...brIf(4),
    ...get(o), ...get(m), ...store8(),
    ...get(o), ...i32(1), ...add, ...set(o),
    ...get(i), ...i32(2), ...add, ...set(i),
    ...end,
    ...get(flags), ...i32(2), ...or, ...set(flags),
    ...get(i), ...set(run),
    ...br(1),
    ...end,
    ...get(c), ...i32(32), ...ltU, ...brIf(2),
    ...get(flags), ...get(c), ...i32(7), ...shrU, ...or, ...set(flags),
    ...get(i), ...i32(1), ...add, ...set(i),
    ...br(0),
    ...end, // $scan
    ...end, // $done
    ...get(flags), ...i32(2), ...and, ...if_, ...flushRun, ...end,
    ...i32(4), ...get(o), ...store(),
    // Bytes of the last block past the quote count too: a false "≥ 0x80" only costs a check.
    ...i32(0), ...get(flags), ...get(acc), ...i8x16Bitmask, ...i32(0), ...ne, ...or, ...store(),
    ...get(i), ...i32(1), ...add, ...ret,
    ...end, // $fail
    ...i32(-1),
    ...end
  ], 5)
}

/**
 * (i, end) → the index after the array or object that starts at i, or -1. Only its extent: its
 * bytes go to JSON.parse, which checks them. memory[0] gets 1 when it holds a byte ≥ 0x80.
 */
function nestedBody(): number[] {
  const [i, e, depth, c, flags] = [0, 1, 2, 3, 4]
  return body(3, [
    ...block, // $fail
    ...loop,
    ...get(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...tee(c), ...i32(34), ...eq, ...if_,
    ...get(i), ...i32(1), ...add, ...set(i),
    ...block, ...loop, // in the string: depth loop 0, block 1, if 2, outer loop 3, fail 4
    ...get(i), ...get(e), ...geU, ...brIf(4),
    ...get(i), ...load8(), ...tee(c), ...i32(34), ...eq, ...brIf(1),
    ...get(flags), ...get(c), ...i32(7), ...shrU, ...or, ...set(flags),
    ...get(i), ...get(c), ...i32(92), ...eq, ...i32(1), ...add, ...add, ...set(i),
    ...br(0),
    ...end, ...end,
    ...get(i), ...i32(1), ...add, ...set(i),
    ...br(1),
    ...end,
    ...get(flags), ...get(c), ...i32(7), ...shrU, ...or, ...set(flags),
    ...get(i), ...i32(1), ...add, ...set(i),
    ...get(c), ...i32(91), ...eq, ...get(c), ...i32(123), ...eq, ...or, ...if_,
    ...get(depth), ...i32(1), ...add, ...set(depth),
    ...else_,
    ...get(c), ...i32(93), ...eq, ...get(c), ...i32(125), ...eq, ...or, ...if_,
    ...get(depth), ...i32(1), ...sub, ...tee(depth), ...eqz, ...if_,
    ...i32(0), ...get(flags), ...store(),
    ...get(i), ...ret,
    ...end,
    ...end,
    ...end,
    ...br(0),
    ...end,
    ...end, // $fail
    ...i32(-1),
    ...end
  ])
}

// Member kinds in the table.
const K_STRING = 1
const K_NUMBER = 2
const K_TRUE = 3
const K_FALSE = 4
const K_NULL = 5
const K_NESTED = 6

/**
 * (i, end, out) → the members of the object that is the whole of bytes [i, end), or -1. Member
 * k's entry at TABLE + 32k: key start, key end, kind | key flags << 8 | value flags << 16,
 * value start, value end (a string's without its quotes), unescaped start, unescaped end.
 * memory[8] gets the flags of the whole line (1: a byte ≥ 0x80 somewhere).
 */
function objBody(): number[] {
  const [i, e, out, nf, c, ks, ke, kind, vs, ve, vf, kf, lf, at, os] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
  const ws = (x: number[]) => [...x, ...get(e), ...call(F_WS)]
  // A literal's bytes as one little-endian load.
  const literal = (len: number, word: number, from: number, k: number, fail: number) => [
    ...get(i), ...i32(len), ...add, ...get(e), ...gtU, ...brIf(fail),
    ...get(i), ...load(from), ...i32(word), ...ne, ...brIf(fail),
    ...get(i), ...i32(len), ...add, ...tee(i), ...set(ve),
    ...i32(k), ...set(kind)
  ]
  return body(12, [
    ...ws(get(i)), ...set(i),
    ...block, // $fail
    ...get(i), ...get(e), ...geU, ...brIf(0),
    ...get(i), ...load8(), ...i32(123), ...ne, ...brIf(0),
    ...ws([...get(i), ...i32(1), ...add]), ...set(i),
    ...get(i), ...get(e), ...ltU, ...if_,
    ...get(i), ...load8(), ...i32(125), ...eq, ...if_,
    ...ws([...get(i), ...i32(1), ...add]), ...get(e), ...ne, ...brIf(2),
    ...i32(8), ...i32(0), ...store(),
    ...i32(0), ...ret,
    ...end,
    ...end,
    ...loop, // $member: fail 1
    ...get(nf), ...i32(MAX_MEMBERS), ...geU, ...brIf(1),
    ...get(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...i32(34), ...ne, ...brIf(1),
    ...get(i), ...i32(1), ...add, ...tee(ks), ...get(e), ...get(out), ...call(F_STR), ...tee(i), ...i32(-1), ...eq, ...brIf(1),
    // An escaped key is left to JSON.parse.
    ...i32(0), ...load(), ...tee(kf), ...i32(2), ...and, ...brIf(1),
    ...get(i), ...i32(1), ...sub, ...set(ke),
    ...ws(get(i)), ...tee(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...i32(58), ...ne, ...brIf(1),
    ...ws([...get(i), ...i32(1), ...add]), ...tee(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...set(vs),
    ...i32(0), ...set(vf),
    ...get(out), ...set(os),
    ...get(i), ...load8(), ...tee(c), ...i32(34), ...eq, ...if_, // fail 2
    ...get(i), ...i32(1), ...add, ...tee(vs), ...get(e), ...get(out), ...call(F_STR), ...tee(i), ...i32(-1), ...eq, ...brIf(2),
    ...get(i), ...i32(1), ...sub, ...set(ve),
    ...i32(0), ...load(), ...tee(vf), ...i32(2), ...and, ...if_, ...i32(4), ...load(), ...set(out), ...end,
    ...i32(K_STRING), ...set(kind),
    ...else_,
    ...get(c), ...i32(91), ...eq, ...get(c), ...i32(123), ...eq, ...or, ...if_, // fail 3
    ...get(i), ...get(e), ...call(F_NESTED), ...tee(i), ...i32(-1), ...eq, ...brIf(3),
    ...get(i), ...set(ve),
    ...i32(0), ...load(), ...set(vf),
    ...i32(K_NESTED), ...set(kind),
    ...else_,
    ...get(c), ...i32(116), ...eq, ...if_, // fail 4
    ...literal(4, 0x65757274, 0, K_TRUE, 4),
    ...else_,
    ...get(c), ...i32(102), ...eq, ...if_, // fail 5
    ...literal(5, 0x65736c61, 1, K_FALSE, 5),
    ...else_,
    ...get(c), ...i32(110), ...eq, ...if_, // fail 6
    ...literal(4, 0x6c6c756e, 0, K_NULL, 6),
    ...else_,
    // A number's extent: its characters; JSON.parse (or the caller's integer reading) checks it.
    ...get(c), ...load8(NUM), ...eqz, ...brIf(6),
    ...block, ...loop,
    ...get(i), ...i32(1), ...add, ...tee(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...load8(NUM), ...brIf(0),
    ...end, ...end,
    ...get(i), ...set(ve),
    ...i32(K_NUMBER), ...set(kind),
    ...end,
    ...end,
    ...end,
    ...end,
    ...end,
    ...get(nf), ...i32(5), ...shl, ...i32(TABLE), ...add, ...tee(at), ...get(ks), ...store(),
    ...get(at), ...get(ke), ...store(4),
    ...get(at), ...get(kind), ...get(kf), ...i32(8), ...shl, ...or, ...get(vf), ...i32(16), ...shl, ...or, ...store(8),
    ...get(at), ...get(vs), ...store(12),
    ...get(at), ...get(ve), ...store(16),
    ...get(at), ...get(os), ...store(20),
    ...get(at), ...get(out), ...store(24),
    ...get(lf), ...get(kf), ...or, ...get(vf), ...or, ...set(lf),
    ...get(nf), ...i32(1), ...add, ...set(nf),
    ...ws(get(i)), ...tee(i), ...get(e), ...geU, ...brIf(1),
    ...get(i), ...load8(), ...tee(c), ...i32(44), ...eq, ...if_,
    ...ws([...get(i), ...i32(1), ...add]), ...set(i),
    ...br(1),
    ...end,
    ...get(c), ...i32(125), ...ne, ...brIf(1),
    ...ws([...get(i), ...i32(1), ...add]), ...get(e), ...ne, ...brIf(1),
    ...i32(8), ...get(lf), ...i32(1), ...and, ...store(),
    ...get(nf), ...ret,
    ...end, // $member
    ...end, // $fail
    ...i32(-1),
    ...end
  ])
}

function moduleBytes(): Uint8Array {
  const t3 = [0x60, 3, I32, I32, I32, 1, I32]
  const t1 = [0x60, 1, I32, 1, I32]
  const t2 = [0x60, 2, I32, I32, 1, I32]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [t3, t1, t2]),
    ...section(2, [[...name('h'), ...name('memory'), 0x02, 0x00, 1]]),
    // hex4, ws, str, nested, obj
    ...section(3, [[1], [2], [0], [2], [0]]),
    ...section(7, [[...name('obj'), 0x00, 4]]),
    ...section(10, [hex4Body(), wsBody(), strBody(), nestedBody(), objBody()])
  ])
}

function byteTables(mem: Uint8Array): void {
  mem.fill(0xff, HEX, HEX + 256)
  for (let d = 0; d < 10; d++) mem[HEX + 48 + d] = d
  for (let d = 0; d < 6; d++) {
    mem[HEX + 65 + d] = 10 + d
    mem[HEX + 97 + d] = 10 + d
  }
  mem.fill(0, ESC, ESC + 256)
  const esc: [string, number][] = [['"', 34], ['\\', 92], ['/', 47], ['b', 8], ['f', 12], ['n', 10], ['r', 13], ['t', 9]]
  for (const [ch, to] of esc) mem[ESC + ch.charCodeAt(0)] = to
  mem.fill(0, NUM, NUM + 256)
  for (const ch of '0123456789+-.eE') mem[NUM + ch.charCodeAt(0)] = 1
}

type ObjFn = (i: number, end: number, out: number) => number
let compiled: object | undefined

/** One reader's scanner: load a chunk's bytes, then parse its lines one at a time. */
export class JsonLineScanner {
  private readonly memory: WasmMemory
  private readonly obj: ObjFn
  private view!: Buffer
  private words!: Int32Array
  private out = 0
  // The last line's keys by member position: the same keys come back line after line.
  private keyBytes: (Uint8Array | undefined)[] = []
  private keyText: string[] = []
  /** Whether the last line parsed holds a byte ≥ 0x80 (then its UTF-8 must be checked). */
  nonAscii = false

  constructor() {
    const wa = webAssembly()
    if (wa === undefined) throw new Error('no WebAssembly here')
    this.memory = new wa.Memory({ initial: 1 })
    // One compiled module a thread: V8 tiers a module's hot functions up to optimized code as they
    // run, and a module compiled afresh for each file would start every file on baseline code.
    compiled ??= new wa.Module(moduleBytes())
    const instance = new wa.Instance(compiled, { h: { memory: this.memory } })
    this.obj = instance.exports.obj as ObjFn
    this.views()
    byteTables(this.view)
  }

  private views(): void {
    this.view = Buffer.from(this.memory.buffer)
    this.words = new Int32Array(this.memory.buffer)
  }

  /** Copies bytes [0, n) of a chunk in; lines are then parsed by their offsets in it. */
  load(bytes: Uint8Array, n: number): void {
    const need = IN + 2 * n + 64
    const have = this.memory.buffer.byteLength
    if (need > have) {
      this.memory.grow(Math.ceil((Math.max(need, have * 1.5) - have) / PAGE))
      this.views()
    }
    this.view.set(bytes.subarray(0, n), IN)
    this.out = IN + n
  }

  /**
   * The object on bytes [start, end) of the loaded chunk, exactly as JSON.parse gives it, or
   * null: the line must go to JSON.parse (it is not valid JSON, or holds what this leaves to it).
   */
  parse(start: number, end: number): Record<string, unknown> | null {
    const n = this.obj(IN + start, IN + end, this.out)
    if (n < 0) return null
    const w = this.words
    const view = this.view
    this.nonAscii = w[2] !== 0
    const o: Record<string, unknown> = {}
    for (let f = 0; f < n; f++) {
      const at = (TABLE >> 2) + 8 * f
      const info = w[at + 2]!
      const key = this.key(f, w[at]!, w[at + 1]!, (info >>> 8) & 1)
      if (key === '__proto__') return null
      let v: unknown
      switch (info & 255) {
        case K_STRING: {
          const escaped = (info >>> 16) & 2
          const s = escaped ? w[at + 5]! : w[at + 3]!
          const e = escaped ? w[at + 6]! : w[at + 4]!
          v = (info >>> 16) & 1 ? utf8Slice(view, s, e) : latin1Slice(view, s, e)
          break
        }
        case K_NUMBER:
          v = this.number(w[at + 3]!, w[at + 4]!)
          if (v === undefined) return null
          break
        case K_TRUE:
          v = true
          break
        case K_FALSE:
          v = false
          break
        case K_NULL:
          v = null
          break
        default:
          try {
            v = JSON.parse(view.toString('utf8', w[at + 3], w[at + 4]))
          } catch {
            return null
          }
      }
      o[key] = v
    }
    return o
  }

  private key(f: number, start: number, end: number, nonAscii: number): string {
    const len = end - start
    const known = this.keyBytes[f]
    const view = this.view
    if (known !== undefined && known.length === len) {
      let j = 0
      while (j < len && view[start + j] === known[j]) j++
      if (j === len) return this.keyText[f]!
    }
    const key = view.toString(nonAscii ? 'utf8' : 'latin1', start, end)
    // A copy (Buffer#slice would be a view of memory the next line overwrites).
    this.keyBytes[f] = Uint8Array.prototype.slice.call(view, start, end)
    this.keyText[f] = key
    return key
  }

  // A JSON number's value: plain decimals of up to 15 digits read here, the rest by JSON.parse
  // (which also refuses what is not a JSON number: "01", "1.", "+1"); undefined when it refuses.
  // m / 10^k with m < 2^53 and k ≤ 22 is one correctly rounded division of two exact doubles, so
  // it is the double nearest the decimal, as JSON.parse reads it (Clinger's fast path).
  private number(start: number, end: number): number | undefined {
    const view = this.view
    let i = start
    const neg = view[i] === 45
    if (neg) i++
    const first = i
    let m = 0
    let digits = 0
    let point = -1
    for (; i < end; i++) {
      const d = view[i]! - 48
      if (d >= 0 && d <= 9) {
        m = m * 10 + d
        digits++
      } else if (d === -2 && point < 0) point = i
      else break
    }
    const wellFormed = i === end && digits > 0 && digits <= 15 && point !== end - 1 && point !== first &&
      (view[first] !== 48 || first + 1 === end || view[first + 1] === 46)
    if (wellFormed) {
      const v = point < 0 ? m : m / POW10[end - 1 - point]!
      return neg ? -v : v
    }
    try {
      return JSON.parse(view.toString('latin1', start, end)) as number
    } catch {
      return undefined
    }
  }
}

const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k)

/** Which way JSONL lines are read: this scanner, or decoded and given to JSON.parse. */
export type LineScanKind = 'wasm' | 'json'
let kind: LineScanKind = process.env.HICRA_LINE_SCAN === 'json' ? 'json' : 'wasm'

/** Chooses how lines are read (tests read every fixture both ways); returns the previous choice. */
export function useLineScan(k: LineScanKind): LineScanKind {
  const was = kind
  kind = k
  return was
}

let shared: JsonLineScanner | null | undefined
/**
 * This thread's scanner, or null where lines go to JSON.parse (the choice, or no WebAssembly).
 * Shared by every reader on the thread: each loads a chunk and parses its lines without
 * awaiting in between, so readers never see each other's chunk.
 */
export function lineScanner(): JsonLineScanner | null {
  if (kind === 'json') return null
  if (shared === undefined) {
    try {
      shared = new JsonLineScanner()
    } catch {
      shared = null
    }
  }
  return shared
}
