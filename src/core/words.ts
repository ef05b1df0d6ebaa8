import { normalizeSpan, wordCharWidth } from './chars'
import { hashSpan, WordVocab } from './vocab'

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
  // The character pass's boundary records (see scanWords), two entries per slot.
  bounds: new Int32Array(0)
}

function ensure(n: number): void {
  if (n <= scratch.cap) return
  const cap = Math.max(n, scratch.cap * 2, 1024)
  scratch.cap = cap
  // A word takes at least one character and is followed by a separator: n/2 + 1 words.
  const words = (cap >> 1) + 2
  scratch.starts = new Int32Array(words)
  scratch.ends = new Int32Array(words)
  scratch.joined = new Uint8Array(words)
  scratch.ids = new Int32Array(words)
  scratch.bounds = new Int32Array(2 * cap + 4)
}

// ASCII classes: 1 letter or digit, 2 break (. ! ? ; : newline), 0 any other separator. The
// apostrophe is 0 here: whether it joins two words is settled when the words are read out.
const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) CLASS[c] = 1
}
for (const ch of '.!?;:\n') CLASS[ch.charCodeAt(0)] = 2
const APOSTROPHE = 39
const CURLY_APOSTROPHE = 0x2019
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
 *
 * Two passes. The character pass has no data-dependent branch for ASCII: word starts and
 * ends are unpredictable, and a mispredicted branch costs more than the rest of a character's
 * work. At each character it writes the boundary-count slot `bc` (even = the gap before word
 * bc/2, odd = word (bc-1)/2) of `bounds`: the index (the last write is the start of a word or
 * the end of one), and the vocabulary automaton's state with a "break seen in this gap" bit;
 * `bc` grows by one at each start and end. (One interleaved array, not two: two arrays a
 * multiple of 4 KiB apart make every store alias the other's.) Non-ASCII characters take a slow path. The word pass then reads the words out, joining two words separated by exactly
 * one apostrophe (SPEC §1: an apostrophe joins letters on both sides).
 */
export function scanWords(text: string, vocab?: WordVocab): number {
  const n = text.length
  // (Growing is a call, not inlined code: a scanner with the allocation inlined ran 30% slower.)
  if (n + 2 > scratch.cap) ensure(n + 2)
  const dfa = vocab ? vocab.dfa : null
  const trans = dfa ? dfa.scan : NO_DFA
  const bounds = scratch.bounds
  // Module-level bindings as locals: the loop then reads registers, not the module context.
  const classOf = CLASS
  let bc = 0
  let prev = 0
  let st = 1
  let brk = 0
  let pair = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    let cl: number
    let next: number
    if (c < 128) {
      cl = classOf[c]
      next = trans[(st << 7) | c]
    } else if (c === CURLY_APOSTROPHE) {
      // Read as ' (see WordVocab.dfa for the automaton's apostrophe column).
      cl = 0
      next = trans[(st << 7) | 39]
      pair = 0
    } else {
      if (pair === 1) {
        // The low half of an astral letter or digit.
        cl = 1
        pair = 0
      } else {
        const w = wordCharWidth(text, i, n)
        cl = w > 0 ? 1 : 0
        pair = w === 2 ? 1 : 0
      }
      // No ASCII vocabulary word contains a non-ASCII letter.
      next = cl === 1 ? 0 : 1
    }
    const k = cl & 1
    bounds[2 * bc] = i
    bounds[2 * bc + 1] = st | (brk << 16)
    bc += k ^ prev
    brk = (brk | (cl >> 1)) & (k ^ 1)
    st = next
    prev = k
  }
  bounds[2 * bc] = n
  bounds[2 * bc + 1] = st | (brk << 16)
  const parts = (bc + 1) >> 1

  const starts = scratch.starts
  const ends = scratch.ends
  const joined = scratch.joined
  const ids = scratch.ids
  const accept = dfa ? dfa.accept : null
  let count = 0
  for (let w = 0; w < parts; w++) {
    const start = bounds[4 * w]
    let end = bounds[4 * w + 2]
    // Words separated by exactly one apostrophe are one word.
    // (The character test comes first: it is almost always false, so well predicted.)
    while (end < n) {
      const g = text.charCodeAt(end)
      if ((g !== APOSTROPHE && g !== CURLY_APOSTROPHE) || w + 1 >= parts || bounds[4 * w + 4] !== end + 1) break
      w++
      end = bounds[4 * w + 2]
    }
    starts[count] = start
    ends[count] = end
    joined[count] = (bounds[4 * w + 5] >> 16) ^ 1
    if (accept !== null) ids[count] = accept[bounds[4 * w + 3] & 0xffff]
    else if (vocab) ids[count] = vocab.lookupSpan(text, start, end, hashSpan(text, start, end))
    count++
  }
  if (count > 0) joined[count - 1] = 0
  return count
}
