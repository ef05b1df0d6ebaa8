// Character classes of SPEC §1, on UTF-16 code units. Hot loops call these per character, so
// ASCII answers come from tables and everything else is computed once and cached.

export const APOSTROPHE = 39
export const CURLY_APOSTROPHE = 0x2019

/**
 * ASCII classes: 1 letter or digit, 2 break (the characters that end a sentence for matching:
 * . ! ? ; : and newline), 4 apostrophe, 0 any other separator. Bit 0 is "word character".
 */
export const ASCII_CLASS = new Uint8Array(128)
for (let c = 48; c <= 57; c++) ASCII_CLASS[c] = 1
for (let c = 65; c <= 90; c++) ASCII_CLASS[c] = 1
for (let c = 97; c <= 122; c++) ASCII_CLASS[c] = 1
for (const ch of '.!?;:\n') ASCII_CLASS[ch.charCodeAt(0)] = 2
ASCII_CLASS[APOSTROPHE] = 4

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u
// 0 = not yet known, 1 = not a word char, 2 = word char (BMP, lazily filled).
const bmpWord = new Uint8Array(65536)
const astralWord = new Map<number, boolean>()

function bmpIsWord(c: number): boolean {
  let v = bmpWord[c]
  if (v === 0) {
    v = LETTER_OR_DIGIT.test(String.fromCharCode(c)) ? 2 : 1
    bmpWord[c] = v
  }
  return v === 2
}

function astralIsWord(cp: number): boolean {
  let v = astralWord.get(cp)
  if (v === undefined) {
    v = LETTER_OR_DIGIT.test(String.fromCodePoint(cp))
    astralWord.set(cp, v)
  }
  return v
}

/**
 * Width in code units (1 or 2) of the letter or digit starting at `i`, or 0 when the
 * character there is not one. A lone surrogate is never a word character.
 */
export function wordCharWidth(text: string, i: number, n: number): number {
  const c = text.charCodeAt(i)
  if (c < 128) return ASCII_CLASS[c] & 1
  if (c >= 0xd800 && c <= 0xdbff) {
    if (i + 1 >= n) return 0
    const d = text.charCodeAt(i + 1)
    if (d < 0xdc00 || d > 0xdfff) return 0
    return astralIsWord(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) ? 2 : 0
  }
  if (c >= 0xdc00 && c <= 0xdfff) return 0
  return bmpIsWord(c) ? 1 : 0
}

// Lower case per code unit so that a word's normalized length equals its span length; the
// few characters whose lower case is longer (İ) and astral letters keep their own form.
const lowerTable = new Uint16Array(65536)

export function lowerUnit(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c
  if (c === CURLY_APOSTROPHE) return APOSTROPHE
  let v = lowerTable[c]
  if (v === 0) {
    if (c >= 0xd800 && c <= 0xdfff) v = c
    else {
      const s = String.fromCharCode(c).toLowerCase()
      v = s.length === 1 ? s.charCodeAt(0) : c
    }
    lowerTable[c] = v
  }
  return v
}

/** The normalized form (SPEC §1) of `text[start, end)`, which must be one word's span. */
export function normalizeSpan(text: string, start: number, end: number): string {
  let plain = true
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c >= 128 || (c >= 65 && c <= 90)) {
      plain = false
      break
    }
  }
  if (plain) return text.slice(start, end)
  let out = ''
  for (let i = start; i < end; i++) out += String.fromCharCode(lowerUnit(text.charCodeAt(i)))
  return out
}
