import type { Statement } from 'better-sqlite3'
import type { Db } from './open'
import { INSERT_COLUMNS, type NewRollout } from './rollouts'

/**
 * Rollouts packed for the trip from an import worker to the thread that writes SQLite: every text
 * as its UTF-8 bytes and every per-token array's bytes in one buffer, the numbers in another, posted
 * with the buffers transferred. A structured clone of row objects made the writer rebuild every
 * response as a string (~0.75 s of its CPU per 100,000 verl rows, and its garbage) only for
 * better-sqlite3 to turn it back into UTF-8; the writer now binds slices of the bytes as they are
 * (PackedRolloutWriter), and the rows it stores are the same to the byte.
 */
export interface PackedRollouts {
  n: number
  /** Per row NUMS numbers: step, score, n_tokens, flags (FLAG_*). */
  nums: Float64Array
  /** Per row SPANS pairs (offset, length) into `bytes`: the TEXTS, then the BLOBS; length NULL_SPAN is null, LOOSE_SPAN a text in `loose`. */
  spans: Int32Array
  bytes: Uint8Array
  /**
   * Texts that are not well-formed UTF-16 (a lone surrogate), by row × TEXTS + text: kept as
   * strings, since better-sqlite3 stores those with the surrogate's own three bytes where an
   * encoder writes U+FFFD.
   */
  loose: Map<number, string> | null
}

/** prompt_id, prompt, response, answer, gold, extra (JSON), in that order. */
export const TEXTS = 6
/** token_starts, token_ends, logprobs, entropies, planning_mask. */
export const BLOBS = 5
export const SPANS = (TEXTS + BLOBS) * 2
export const NUMS = 4
export const NULL_SPAN = -1
export const LOOSE_SPAN = -2
export const FLAG_SCORE_NULL = 1
export const FLAG_CORRECT_NULL = 2
export const FLAG_CORRECT = 4
export const FLAG_HAS_SG = 8
export const FLAG_TOKENS_NULL = 16

// ES2024's String.prototype.isWellFormed (Node 20 has it; the project's lib is ES2023).
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()

/**
 * Packs rows into one buffer (numbers, spans, then the bytes): `reuse`, a buffer a pack came back
 * in, where it is large enough (a fresh buffer for every chunk made V8 collect more on both threads:
 * each is external memory to the heap that allocates it and to the heap it is posted to).
 */
export function packRollouts(rows: readonly NewRollout[], reuse?: ArrayBuffer | null): PackedRollouts {
  const n = rows.length
  const head = n * NUMS * 8 + n * SPANS * 4
  const blobs: (ArrayBufferView | null)[] = new Array(BLOBS)
  // Room for one byte a UTF-16 unit and a tenth more (verl responses are ASCII but for a few
  // quotes), and for the longest text's worst case (three bytes a unit); the buffer grows when a
  // chunk needs more.
  let cap = 64
  let longest = 0
  for (const r of rows) {
    cap += r.response.length + (r.prompt?.length ?? 0) + (r.promptId?.length ?? 0) + (r.answer?.length ?? 0) + (r.gold?.length ?? 0) + 64 +
      (r.tokenStarts?.byteLength ?? 0) + (r.tokenEnds?.byteLength ?? 0) + (r.logprobs?.byteLength ?? 0) + (r.entropies?.byteLength ?? 0) +
      (r.planningMask?.byteLength ?? 0)
    longest = Math.max(longest, r.response.length, r.prompt?.length ?? 0)
  }
  const want = head + Math.ceil(cap * 1.1) + 3 * longest
  let buf = reuse && reuse.byteLength >= want ? reuse : new ArrayBuffer(want)
  let nums = new Float64Array(buf, 0, n * NUMS)
  let spans = new Int32Array(buf, n * NUMS * 8, n * SPANS)
  let bytes = Buffer.from(buf, head)
  let p = 0
  let loose: Map<number, string> | null = null
  const room = (need: number) => {
    if (p + need <= bytes.length) return
    const grown = new ArrayBuffer(Math.max(buf.byteLength * 2, head + p + need))
    new Uint8Array(grown).set(new Uint8Array(buf, 0, head + p))
    buf = grown
    nums = new Float64Array(buf, 0, n * NUMS)
    spans = new Int32Array(buf, n * NUMS * 8, n * SPANS)
    bytes = Buffer.from(buf, head)
  }
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    const k = i * NUMS
    nums[k] = r.step
    nums[k + 1] = r.score ?? 0
    nums[k + 2] = r.nTokens ?? 0
    nums[k + 3] = (r.score === null ? FLAG_SCORE_NULL : 0) | (r.correct === null ? FLAG_CORRECT_NULL : r.correct ? FLAG_CORRECT : 0) |
      (r.hasSg ? FLAG_HAS_SG : 0) | (r.nTokens === null ? FLAG_TOKENS_NULL : 0)
    let s = i * SPANS
    for (let j = 0; j < TEXTS; j++, s += 2) {
      const t = j < TEXTS - 1 ? textOf(r, j) : r.extra ? JSON.stringify(r.extra) : null
      if (t === null || t === undefined) {
        spans[s + 1] = NULL_SPAN
        continue
      }
      room(3 * t.length)
      const written = bytes.write(t, p)
      spans[s] = p
      spans[s + 1] = written
      p += written
    }
    blobs[0] = r.tokenStarts
    blobs[1] = r.tokenEnds
    blobs[2] = r.logprobs
    blobs[3] = r.entropies
    blobs[4] = r.planningMask
    for (let j = 0; j < BLOBS; j++, s += 2) {
      const a = blobs[j]
      if (!a) {
        spans[s + 1] = NULL_SPAN
        continue
      }
      room(a.byteLength)
      bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p)
      spans[s] = p
      spans[s + 1] = a.byteLength
      p += a.byteLength
    }
  }
  // Buffer.write turns a lone surrogate into U+FFFD (EF BF BD), so only a text whose bytes hold
  // one can be ill-formed: those are checked, instead of every text of two-byte characters. Spans
  // with bytes lie in order, texts and blobs alike.
  const used = bytes.subarray(0, p)
  let q = 0
  for (let at = used.indexOf(FFFD); at >= 0; ) {
    while (spans[2 * q + 1]! < 0 || spans[2 * q]! + spans[2 * q + 1]! <= at) q++
    const end = spans[2 * q]! + spans[2 * q + 1]!
    const i = Math.floor(q / (TEXTS + BLOBS))
    const j = q % (TEXTS + BLOBS)
    // The extra's JSON is well-formed (JSON.stringify escapes lone surrogates); the rest are blobs.
    if (j < TEXTS - 1) {
      const t = textOf(rows[i]!, j)!
      if (!wellFormed(t)) {
        ;(loose ??= new Map()).set(i * TEXTS + j, t)
        spans[2 * q + 1] = LOOSE_SPAN
      }
    }
    at = used.indexOf(FFFD, end)
    q++
  }
  return { n, nums, spans, bytes: new Uint8Array(buf, head, p), loose }
}

const FFFD = Buffer.from([0xef, 0xbf, 0xbd])

/** Text `j` of TEXTS but the extra. */
function textOf(r: NewRollout, j: number): string | null {
  return j === 0 ? r.promptId : j === 1 ? r.prompt : j === 2 ? r.response : j === 3 ? r.answer : r.gold
}

/** The buffer a pack lives in: to transfer with it (the sender's views become unusable), and to hand back for reuse. */
export function packBuffer(p: PackedRollouts): ArrayBuffer {
  return p.nums.buffer as ArrayBuffer
}

/** Writes packed rows into `rollouts`, each as RolloutsRepo.insert would write it. */
export class PackedRolloutWriter {
  private readonly stmt: Statement
  constructor(db: Db) {
    // The texts come as UTF-8 bytes, which CAST stores as TEXT unchanged; a string (a loose text)
    // passes through CAST as it is.
    this.stmt = db.prepare(`INSERT INTO rollouts (${INSERT_COLUMNS}) VALUES (?, ?, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), ?, ?,
      CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))`)
  }

  /** Inserts every row of `p` (call inside a transaction), calling `each` with each row's index and id. */
  insertAll(runId: number, p: PackedRollouts, each: (i: number, id: number) => void): void {
    const { spans, nums, loose } = p
    const bytes = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength)
    let s = 0
    const text = (i: number, j: number): Buffer | string | null => {
      const len = spans[s + 2 * j + 1]!
      if (len === NULL_SPAN) return null
      if (len === LOOSE_SPAN) return loose!.get(i * TEXTS + j)!
      const at = spans[s + 2 * j]!
      return bytes.subarray(at, at + len)
    }
    const blob = (j: number): Buffer | null => {
      const len = spans[s + 2 * (TEXTS + j) + 1]!
      if (len === NULL_SPAN) return null
      const at = spans[s + 2 * (TEXTS + j)]!
      return bytes.subarray(at, at + len)
    }
    for (let i = 0; i < p.n; i++) {
      s = i * SPANS
      const k = i * NUMS
      const flags = nums[k + 3]!
      const info = this.stmt.run(runId, nums[k], text(i, 0), text(i, 1), text(i, 2), flags & FLAG_SCORE_NULL ? null : nums[k + 1],
        flags & FLAG_CORRECT_NULL ? null : flags & FLAG_CORRECT ? 1 : 0, text(i, 3), text(i, 4), flags & FLAG_TOKENS_NULL ? null : nums[k + 2],
        blob(0), blob(1), blob(2), blob(3), blob(4), flags & FLAG_HAS_SG ? 1 : 0, text(i, 5))
      each(i, Number(info.lastInsertRowid))
    }
  }
}
