import type { Tokenizer } from '@huggingface/tokenizers'
import { TokenAlignmentError, type TokenSpans } from './alignment'

export interface TokenizedSpans extends TokenSpans {
  ids: number[]
  tokens: string[]
}

const REPLACEMENT = '\ufffd'
const WINDOW = 4

/**
 * Tokenizes `text` with a tokenizer (the back end's loadTokenizer builds one from tokenizer.json)
 * and gives each token its character span in `text`.
 *
 * tokenizers.js returns no offsets, so a token's text is recovered by decoding a short window
 * before it with and without it (decoders such as Metaspace treat a sequence start specially,
 * the window difference cancels that). A byte-level token that ends inside a multi-byte
 * character decodes to U+FFFD; it is kept pending until the character completes, and every
 * token of that character gets the character's span (as Hugging Face offsets do). The decoded
 * piece is then found at the cursor in `text`, skipping whitespace a normalizer dropped and
 * comparing case-insensitively where a normalizer lowered it.
 */
export function tokenSpansFromTokenizer(tk: Tokenizer, text: string): TokenizedSpans {
  const enc = tk.encode(text, { add_special_tokens: false })
  const ids = enc.ids
  const n = ids.length
  const starts = new Int32Array(n)
  const ends = new Int32Array(n)
  const decode = (a: number, b: number): string =>
    a >= b ? '' : tk.decode(ids.slice(a, b), { skip_special_tokens: false, clean_up_tokenization_spaces: false })
  const lowerText = text.toLowerCase()
  let cursor = 0
  let pending = 0
  for (let t = 0; t < n; t++) {
    const k = Math.max(0, pending - WINDOW)
    const before = decode(k, pending)
    const after = decode(k, t + 1)
    if (after.endsWith(REPLACEMENT) && t + 1 < n && !text.startsWith(REPLACEMENT, cursor)) continue
    let piece: string
    if (after.startsWith(before)) piece = after.slice(before.length)
    else piece = decode(0, t + 1).slice(decode(0, pending).length)
    const trimmed = piece.trim()
    let s: number
    let e: number
    if (text.startsWith(piece, cursor)) {
      s = cursor
      e = cursor + piece.length
    } else if (trimmed === '') {
      // whitespace a normalizer or decoder changed: an empty span at the cursor
      s = e = cursor
    } else {
      let at = cursor
      while (at < text.length && /\s/.test(text[at])) at++
      if (text.startsWith(trimmed, at) || lowerText.startsWith(trimmed.toLowerCase(), at)) {
        s = at
        e = at + trimmed.length
      } else {
        throw new TokenAlignmentError(
          `token ${pending} (${JSON.stringify(enc.tokens[pending])}, decoded ${JSON.stringify(piece)}) does not match the text at character ${cursor} (${JSON.stringify(text.slice(cursor, cursor + 20))})`,
          pending
        )
      }
    }
    for (let q = pending; q <= t; q++) {
      starts[q] = s
      ends[q] = e
    }
    cursor = e
    pending = t + 1
  }
  return { starts, ends, ids, tokens: enc.tokens }
}
