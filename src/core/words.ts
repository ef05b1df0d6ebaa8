import { BREAK, lowerUnit, normalizeSpan, wordCharWidth } from './chars'
import { WordVocab } from './vocab'

// Local copies of chars.ts / vocab.ts constants for the hot loops: under tsx (the CLI and the
// benches) every imported binding is a getter call per use, 20% of a scan's time.
const APOSTROPHE = 39
const CURLY_APOSTROPHE = 0x2019
const HASH_SEED = 0x811c9dc5 | 0

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

// Scratch space shared by all calls (JS is single threaded). scanWords fills it; splitWords
// copies the result out at its exact size, so a call allocates only what it returns, and the
// metrics hot path reads the scratch directly without copying.
export const scratch = {
  cap: 0,
  starts: new Int32Array(0),
  ends: new Int32Array(0),
  joined: new Uint8Array(0),
  ids: new Int32Array(0),
  hashes: new Int32Array(0)
}

function ensure(n: number): void {
  if (n <= scratch.cap) return
  const cap = Math.max(n, scratch.cap * 2, 1024)
  scratch.cap = cap
  scratch.starts = new Int32Array(cap)
  scratch.ends = new Int32Array(cap)
  scratch.joined = new Uint8Array(cap)
  scratch.ids = new Int32Array(cap)
  scratch.hashes = new Int32Array(cap)
}

// ASCII classes: 1 letter/digit, 2 break, 3 apostrophe, 0 other separator.
const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  if (/[A-Za-z0-9]/.test(ch)) CLASS[c] = 1
  else if (BREAK[c] === 1) CLASS[c] = 2
}
CLASS[APOSTROPHE] = 3
// Lower-cased ASCII letters and digits; 0 for everything else.
const LOWER_WORD = new Int32Array(128)
for (let c = 0; c < 128; c++) if (CLASS[c] === 1) LOWER_WORD[c] = c >= 65 && c <= 90 ? c + 32 : c

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
  return new WordList(
    text,
    count,
    scratch.starts.slice(0, count),
    scratch.ends.slice(0, count),
    scratch.joined.slice(0, count),
    vocab ? scratch.ids.slice(0, count) : undefined,
    vocab
  )
}

/**
 * The scanner behind splitWords: fills `scratch` (starts, ends, joined, and ids when a
 * vocabulary is given) and returns the word count. The scratch is overwritten by the next
 * call.
 */
export function scanWords(text: string, vocab?: WordVocab): number {
  if (vocab && vocab.dfa) return scanWordsDfa(text, vocab.dfa.trans, vocab.dfa.accept)
  const n = text.length
  // A word takes at least one character and is followed by a separator, so n/2+1 bounds it.
  ensure((n >> 1) + 2)
  const starts = scratch.starts
  const ends = scratch.ends
  const joined = scratch.joined
  const hashes = scratch.hashes
  let count = 0
  let broken = false
  let i = 0
  outer: while (i < n) {
    // Separators.
    let c = text.charCodeAt(i)
    for (;;) {
      if (c < 128) {
        const k = CLASS[c]
        if (k === 1) break
        if (k === 2) broken = true
      } else if (wordCharWidth(text, i, n) > 0) break
      if (++i >= n) break outer
      c = text.charCodeAt(i)
    }
    const start = i
    let h = HASH_SEED
    // Letters and digits, and apostrophes between them. One table load per ASCII character.
    let lw = c < 128 ? LOWER_WORD[c] : 0
    for (;;) {
      if (lw !== 0) {
        h = Math.imul(h ^ lw, 16777619)
        i++
      } else {
        const w = wordCharWidth(text, i, n)
        h = Math.imul(h ^ lowerUnit(c), 16777619)
        if (w === 2) h = Math.imul(h ^ text.charCodeAt(i + 1), 16777619)
        i += w
      }
      if (i >= n) break
      c = text.charCodeAt(i)
      if (c < 128) {
        lw = LOWER_WORD[c]
        if (lw !== 0) continue
        if (c !== APOSTROPHE) break
      } else {
        lw = 0
        if (c !== CURLY_APOSTROPHE) {
          if (wordCharWidth(text, i, n) > 0) continue
          break
        }
      }
      if (i + 1 < n && wordCharWidth(text, i + 1, n) > 0) {
        h = Math.imul(h ^ APOSTROPHE, 16777619)
        i++
        c = text.charCodeAt(i)
        lw = c < 128 ? LOWER_WORD[c] : 0
        continue
      }
      break
    }
    if (count > 0) joined[count - 1] = broken ? 0 : 1
    starts[count] = start
    ends[count] = i
    hashes[count] = h
    count++
    broken = false
  }
  if (count > 0) joined[count - 1] = 0
  if (vocab) {
    const ids = scratch.ids
    for (let k = 0; k < count; k++) ids[k] = vocab.lookupSpan(text, starts[k], ends[k], hashes[k])
  }
  return count
}

// scanWords for a frozen all-ASCII vocabulary: the same word boundaries, with the word id
// found by walking the vocabulary's character automaton while scanning. Any non-ASCII letter
// leads to the dead state (no ASCII-only word can contain it); ’ is read as '.
function scanWordsDfa(text: string, trans: Uint16Array, accept: Int32Array): number {
  const n = text.length
  ensure((n >> 1) + 2)
  const starts = scratch.starts
  const ends = scratch.ends
  const joined = scratch.joined
  const ids = scratch.ids
  let count = 0
  let broken = false
  let i = 0
  outer: while (i < n) {
    let c = text.charCodeAt(i)
    for (;;) {
      if (c < 128) {
        const k = CLASS[c]
        if (k === 1) break
        if (k === 2) broken = true
      } else if (wordCharWidth(text, i, n) > 0) break
      if (++i >= n) break outer
      c = text.charCodeAt(i)
    }
    const start = i
    let st = 1
    let lw = c < 128 ? LOWER_WORD[c] : 0
    for (;;) {
      if (lw !== 0) {
        st = trans[(st << 7) | lw]
        i++
      } else {
        st = 0
        i += wordCharWidth(text, i, n)
      }
      if (i >= n) break
      c = text.charCodeAt(i)
      if (c < 128) {
        lw = LOWER_WORD[c]
        if (lw !== 0) continue
        if (c !== APOSTROPHE) break
      } else {
        lw = 0
        if (c !== CURLY_APOSTROPHE) {
          if (wordCharWidth(text, i, n) > 0) continue
          break
        }
      }
      if (i + 1 < n && wordCharWidth(text, i + 1, n) > 0) {
        st = trans[(st << 7) | APOSTROPHE]
        i++
        c = text.charCodeAt(i)
        lw = c < 128 ? LOWER_WORD[c] : 0
        continue
      }
      break
    }
    if (count > 0) joined[count - 1] = broken ? 0 : 1
    starts[count] = start
    ends[count] = i
    ids[count] = accept[st]
    count++
    broken = false
  }
  if (count > 0) joined[count - 1] = 0
  return count
}
