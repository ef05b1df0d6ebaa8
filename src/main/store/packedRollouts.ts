import type { Statement } from 'better-sqlite3'
import type { Db } from './open'
import { INSERT_COLUMNS, type NewRollout } from './rollouts'
import { utf8Write } from '../nodeBuffer'

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
 * Packs rows into one buffer (the bytes, then the numbers and spans): `reuse`, a buffer a pack came
 * back in, grown where the rows need more (a fresh buffer for every chunk made V8 collect more on
 * both threads: each is external memory to the heap that allocates it and to the heap it is posted to).
 */
export function packRollouts(rows: readonly NewRollout[], reuse?: ArrayBuffer | null): PackedRollouts {
  let given = reuse
  const packer = new RolloutPacker(() => {
    const b = given
    given = null
    return b
  })
  for (const r of rows) packer.add(r)
  return packer.finish()
}

/** A fresh pack's room for its bytes: a chunk of verl rows (~1 MB of responses) and some. */
const FIRST_BYTES = 1.25 * (1 << 20)

/**
 * Packs rows one at a time, as an import worker reads them: a row's strings are garbage as soon as
 * it is packed instead of living through the chunk's collections (each scavenge copied a chunk's
 * rows), and its texts are encoded while they are still in the cache. The bytes grow from the
 * buffer's start; the numbers and spans, kept aside, go after them in `finish`. Each pack's buffer
 * is asked of `reuse` (a buffer a pack came back in) as its first row comes, or made afresh.
 */
export class RolloutPacker {
  private buf: ArrayBuffer | null = null
  private bytes: Buffer = Buffer.alloc(0)
  private p = 0
  private n = 0
  private nums = new Float64Array(512 * NUMS)
  private spans = new Int32Array(512 * SPANS)
  private loose: Map<number, string> | null = null
  private readonly blobs: (ArrayBufferView | null)[] = new Array(BLOBS)

  constructor(private readonly reuse: () => ArrayBuffer | null | undefined = () => null) {}

  private take(): void {
    this.buf = this.reuse() ?? new ArrayBuffer(FIRST_BYTES)
    this.bytes = Buffer.from(this.buf)
  }

  private room(need: number): void {
    if (this.p + need <= this.bytes.length) return
    this.grow(this.p + need)
  }

  private grow(need: number): void {
    const grown = new ArrayBuffer(Math.max(this.buf!.byteLength * 2, need))
    new Uint8Array(grown).set(new Uint8Array(this.buf!, 0, this.p))
    this.buf = grown
    this.bytes = Buffer.from(grown)
  }

  add(r: NewRollout): void {
    if (!this.buf) this.take()
    const i = this.n++
    if (this.nums.length < this.n * NUMS) {
      const nums = new Float64Array(this.nums.length * 2)
      nums.set(this.nums)
      this.nums = nums
      const spans = new Int32Array(this.spans.length * 2)
      spans.set(this.spans)
      this.spans = spans
    }
    const { nums, spans } = this
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
      this.room(3 * t.length)
      const at = this.p
      const written = utf8Write(this.bytes, t, at)
      // Buffer.write turns a lone surrogate into U+FFFD (EF BF BD), so only a text of more bytes
      // than units whose bytes hold one can be ill-formed. (The extra's JSON is well-formed:
      // JSON.stringify escapes lone surrogates.)
      if (written > t.length && j < TEXTS - 1 && this.bytes.subarray(at, at + written).indexOf(FFFD) >= 0 && !wellFormed(t)) {
        ;(this.loose ??= new Map()).set(i * TEXTS + j, t)
        spans[s + 1] = LOOSE_SPAN
        continue
      }
      spans[s] = at
      spans[s + 1] = written
      this.p += written
    }
    const blobs = this.blobs
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
      this.room(a.byteLength)
      this.bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.p)
      spans[s] = this.p
      spans[s + 1] = a.byteLength
      this.p += a.byteLength
    }
    blobs.fill(null)
  }

  /** The rows added since the last pack, packed; the next row starts a new pack. */
  finish(): PackedRollouts {
    if (!this.buf) this.take()
    const n = this.n
    const at = (this.p + 7) & ~7
    const end = at + n * NUMS * 8 + n * SPANS * 4
    if (end > this.buf!.byteLength) this.grow(end)
    const buf = this.buf!
    const nums = new Float64Array(buf, at, n * NUMS)
    nums.set(this.nums.subarray(0, n * NUMS))
    const spans = new Int32Array(buf, at + n * NUMS * 8, n * SPANS)
    spans.set(this.spans.subarray(0, n * SPANS))
    const packed: PackedRollouts = { n, nums, spans, bytes: new Uint8Array(buf, 0, this.p), loose: this.loose }
    this.buf = null
    this.bytes = Buffer.alloc(0)
    this.p = 0
    this.n = 0
    this.loose = null
    return packed
  }
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

/** The columns of a row as PackedRolloutWriter binds them (INSERT_COLUMNS). */
const COLUMNS = 17
// The texts come as UTF-8 bytes, which CAST stores as TEXT unchanged; a string (a loose text)
// passes through CAST as it is.
const ROW_VALUES = `(?, ?, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))`
/** Rows one INSERT statement writes where it may (`insertAll`); the rest of a pack one at a time. */
export const ROWS_PER_INSERT = 16

/**
 * Writes packed rows into `rollouts`, each as RolloutsRepo.insert would write it.
 *
 * Where the connection's foreign keys are off (the importer turns them off for its own
 * transactions), ROWS_PER_INSERT rows go in one statement: SQLite's per-statement work then comes
 * once for 16 rows (the writer alone on the 200 MB dump's rows: 0.69 s of CPU against 0.81 s).
 * Not where they are on: a statement of several rows that could fail halfway (a row's foreign key,
 * or a NOT NULL under ABORT) makes SQLite keep a statement journal of every page it touches, a
 * temporary file past 64 KB, which cost more than the rows saved. Under OR ROLLBACK a NOT NULL fails
 * the whole transaction at once (not a savepoint only), as any failed insert fails the importer's
 * transaction anyway.
 */
export class PackedRolloutWriter {
  private readonly one: Statement
  private readonly many: Statement | null
  private readonly maxId: Statement
  private readonly foreignKeys: Statement
  private readonly args: unknown[]

  constructor(private readonly db: Db, private readonly rows = ROWS_PER_INSERT) {
    this.one = db.prepare(`INSERT INTO rollouts (${INSERT_COLUMNS}) VALUES ${ROW_VALUES}`)
    this.many = rows > 1
      ? db.prepare(`INSERT OR ROLLBACK INTO rollouts (${INSERT_COLUMNS}) VALUES ${new Array(rows).fill(ROW_VALUES).join(', ')}`)
      : null
    this.args = new Array(COLUMNS * rows)
    this.maxId = db.prepare('SELECT max(id) FROM rollouts').pluck()
    this.foreignKeys = db.prepare('PRAGMA foreign_keys').pluck()
  }

  /** Inserts every row of `p` (call inside a transaction), calling `each` with each row's index and id. */
  insertAll(runId: number, p: PackedRollouts, each: (i: number, id: number) => void): void {
    const { spans, nums, loose } = p
    const bytes = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength)
    const K = this.rows
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
    const bind = (a: unknown[], c: number, i: number) => {
      s = i * SPANS
      const k = i * NUMS
      const flags = nums[k + 3]!
      a[c] = runId
      a[c + 1] = nums[k]
      a[c + 2] = text(i, 0)
      a[c + 3] = text(i, 1)
      a[c + 4] = text(i, 2)
      a[c + 5] = flags & FLAG_SCORE_NULL ? null : nums[k + 1]
      a[c + 6] = flags & FLAG_CORRECT_NULL ? null : flags & FLAG_CORRECT ? 1 : 0
      a[c + 7] = text(i, 3)
      a[c + 8] = text(i, 4)
      a[c + 9] = flags & FLAG_TOKENS_NULL ? null : nums[k + 2]
      a[c + 10] = blob(0)
      a[c + 11] = blob(1)
      a[c + 12] = blob(2)
      a[c + 13] = blob(3)
      a[c + 14] = blob(4)
      a[c + 15] = flags & FLAG_HAS_SG ? 1 : 0
      a[c + 16] = text(i, 5)
    }
    let i = 0
    // K rows a statement, their ids counted from the table's largest: SQLite gives a row of an
    // INTEGER PRIMARY KEY table without an id the largest id + 1, so the rows of one transaction's
    // statements, on the one connection that may write, take consecutive ids. (Only past the largest
    // possible id does SQLite pick at random: there the rows go one at a time, as every id must be a
    // safe integer anyway.) Each statement's last id is checked against the count.
    const many = this.many
    if (many && p.n >= K && this.db.inTransaction && !this.foreignKeys.get()) {
      const max = this.maxId.get() as number | bigint | null
      const before = max === null ? 0 : Number(max)
      if (Number.isSafeInteger(before + p.n)) {
        const args = this.args
        for (; i + K <= p.n; i += K) {
          for (let r = 0; r < K; r++) bind(args, r * COLUMNS, i + r)
          const info = many.run(...args)
          if (info.changes !== K || Number(info.lastInsertRowid) !== before + i + K) {
            throw new Error(`rollouts: ${K} rows took ids up to ${info.lastInsertRowid}, not ${before + i + 1}-${before + i + K}`)
          }
          for (let r = 0; r < K; r++) each(i + r, before + i + r + 1)
        }
        args.fill(null)
      }
    }
    for (; i < p.n; i++) {
      s = i * SPANS
      const k = i * NUMS
      const flags = nums[k + 3]!
      const info = this.one.run(runId, nums[k], text(i, 0), text(i, 1), text(i, 2), flags & FLAG_SCORE_NULL ? null : nums[k + 1],
        flags & FLAG_CORRECT_NULL ? null : flags & FLAG_CORRECT ? 1 : 0, text(i, 3), text(i, 4), flags & FLAG_TOKENS_NULL ? null : nums[k + 2],
        blob(0), blob(1), blob(2), blob(3), blob(4), flags & FLAG_HAS_SG ? 1 : 0, text(i, 5))
      each(i, Number(info.lastInsertRowid))
    }
  }
}
