import type { Occurrence } from './matcher'
import type { Words } from './words'

export interface TokenSpans {
  starts: Int32Array
  ends: Int32Array
}

/**
 * SPEC §2: token t is planning when its span [a, b) overlaps some occurrence span [s, e),
 * i.e. a < e and s < b. Occurrence spans are merged only where they strictly overlap, so the
 * test against the merged list is exactly the test against the originals (touching spans stay
 * apart: a zero-length token at their shared edge overlaps neither).
 */
export function planningMask(tokenStarts: Int32Array, tokenEnds: Int32Array, occurrences: readonly Occurrence[]): Uint8Array {
  const m = occurrences.length
  const os = new Int32Array(m)
  const oe = new Int32Array(m)
  for (let k = 0; k < m; k++) {
    os[k] = occurrences[k].start
    oe[k] = occurrences[k].end
  }
  return planningMaskFromSpans(tokenStarts, tokenEnds, os, oe, m)
}

/** planningMask over occurrence spans given as arrays (the first `count` entries). */
export function planningMaskFromSpans(
  tokenStarts: Int32Array,
  tokenEnds: Int32Array,
  occStarts: Int32Array,
  occEnds: Int32Array,
  count: number
): Uint8Array {
  const n = tokenStarts.length
  if (tokenEnds.length !== n) throw new RangeError(`tokenStarts has ${n} entries but tokenEnds has ${tokenEnds.length}`)
  const mask = new Uint8Array(n)
  if (n === 0 || count === 0) return mask

  // Occurrences come nearly sorted by start (a matcher reports them by end word, and SG
  // lengths are bounded): insertion sort of an index is linear in practice.
  const idx = new Int32Array(count)
  for (let k = 0; k < count; k++) {
    let j = k
    const s = occStarts[k]
    while (j > 0 && occStarts[idx[j - 1]] > s) {
      idx[j] = idx[j - 1]
      j--
    }
    idx[j] = k
  }
  const ms = new Int32Array(count)
  const me = new Int32Array(count)
  let m = 0
  for (let k = 0; k < count; k++) {
    const s = occStarts[idx[k]]
    const e = occEnds[idx[k]]
    if (m > 0 && s < me[m - 1]) {
      if (e > me[m - 1]) me[m - 1] = e
    } else {
      ms[m] = s
      me[m] = e
      m++
    }
  }

  // Tokens are nearly always in text order; sort an index only when they are not.
  let order: Int32Array | null = null
  for (let t = 1; t < n; t++) {
    if (tokenStarts[t] < tokenStarts[t - 1]) {
      order = Int32Array.from({ length: n }, (_, i) => i).sort((x, y) => tokenStarts[x] - tokenStarts[y])
      break
    }
  }
  let j = 0
  for (let k = 0; k < n; k++) {
    const t = order ? order[k] : k
    const a = tokenStarts[t]
    // Intervals ending at or before a cannot overlap this token or any later one.
    while (j < m && me[j] <= a) j++
    if (j === m) break
    if (ms[j] < tokenEnds[t]) mask[t] = 1
  }
  return mask
}

/** planning word = a word inside at least one occurrence (SPEC §2). */
export function planningWordMask(words: Words, occurrences: readonly Occurrence[]): Uint8Array {
  const n = words.count
  const diff = new Int32Array(n + 1)
  for (const o of occurrences) {
    diff[o.firstWord]++
    diff[o.endWord]--
  }
  const mask = new Uint8Array(n)
  let run = 0
  for (let i = 0; i < n; i++) {
    run += diff[i]
    if (run > 0) mask[i] = 1
  }
  return mask
}

export class TokenAlignmentError extends Error {
  constructor(
    message: string,
    readonly tokenIndex: number
  ) {
    super(message)
    this.name = 'TokenAlignmentError'
  }
}

function snippet(s: string, at: number): string {
  return JSON.stringify(s.slice(at, at + 20))
}

/** Spans of tokens that concatenate exactly to `text`; names the first token that does not. */
export function tokenSpansFromStrings(tokens: readonly string[], text: string): TokenSpans {
  const starts = new Int32Array(tokens.length)
  const ends = new Int32Array(tokens.length)
  let pos = 0
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]
    if (!text.startsWith(tok, pos)) {
      throw new TokenAlignmentError(
        `token ${t} (${JSON.stringify(tok)}) does not match the text at character ${pos} (${snippet(text, pos)}): the tokens do not concatenate to the text`,
        t
      )
    }
    starts[t] = pos
    pos += tok.length
    ends[t] = pos
  }
  if (pos !== text.length) {
    throw new TokenAlignmentError(
      `the ${tokens.length} tokens cover ${pos} of ${text.length} characters; missing ${snippet(text, pos)}`,
      tokens.length
    )
  }
  return { starts, ends }
}
