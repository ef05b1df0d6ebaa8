import { APOSTROPHE, BREAK, CURLY_APOSTROPHE, lowerUnit, normalizeSpan, wordCharWidth } from './chars'
import { HASH_SEED, hashStep, WordVocab } from './vocab'

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

// Scratch space shared by all calls (JS is single threaded); results are copied out at their
// exact size, so a call allocates only what it returns.
let cap = 0
let sStarts = new Int32Array(0)
let sEnds = new Int32Array(0)
let sJoined = new Uint8Array(0)
let sIds = new Int32Array(0)

function ensure(n: number): void {
  if (n <= cap) return
  cap = Math.max(n, cap * 2, 1024)
  sStarts = new Int32Array(cap)
  sEnds = new Int32Array(cap)
  sJoined = new Uint8Array(cap)
  sIds = new Int32Array(cap)
}

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
  const n = text.length
  // A word takes at least one character and is followed by a separator, so n/2+1 bounds it.
  ensure((n >> 1) + 2)
  const starts = sStarts
  const ends = sEnds
  const joined = sJoined
  const ids = sIds
  let count = 0
  let broken = false
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    let w: number
    if (c < 128) {
      // Inline ASCII fast path: letters and digits.
      w = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) ? 1 : 0
    } else w = wordCharWidth(text, i, n)
    if (w === 0) {
      if (c < 128 && BREAK[c] === 1) broken = true
      i++
      continue
    }
    const start = i
    let h = HASH_SEED
    for (;;) {
      // Hash the normalized units of the current letter/digit.
      for (let k = 0; k < w; k++) {
        const u = text.charCodeAt(i + k)
        h = hashStep(h, u < 128 ? (u >= 65 && u <= 90 ? u + 32 : u) : lowerUnit(u))
      }
      i += w
      if (i >= n) break
      const d = text.charCodeAt(i)
      if (d < 128) {
        if ((d >= 97 && d <= 122) || (d >= 48 && d <= 57) || (d >= 65 && d <= 90)) {
          w = 1
          continue
        }
        if (d !== APOSTROPHE) break
      } else if (d !== CURLY_APOSTROPHE) {
        w = wordCharWidth(text, i, n)
        if (w === 0) break
        continue
      }
      // An apostrophe joins two runs of letters/digits.
      if (i + 1 < n && wordCharWidth(text, i + 1, n) > 0) {
        h = hashStep(h, APOSTROPHE)
        i++
        w = wordCharWidth(text, i, n)
        continue
      }
      break
    }
    if (count > 0) joined[count - 1] = broken ? 0 : 1
    starts[count] = start
    ends[count] = i
    if (vocab) ids[count] = vocab.lookupSpan(text, start, i, h)
    count++
    broken = false
  }
  if (count > 0) joined[count - 1] = 0
  return new WordList(
    text,
    count,
    starts.slice(0, count),
    ends.slice(0, count),
    joined.slice(0, count),
    vocab ? ids.slice(0, count) : undefined,
    vocab
  )
}
