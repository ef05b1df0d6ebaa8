import { Buffer } from 'node:buffer'

// Strings to and from a Buffer's bytes through Node's own methods, the ones under Buffer#toString
// and Buffer#write, which are not in Node's types: those two handle their arguments (encoding
// names, bounds) at every call, a few tenths of a microsecond each, and the line scanner and the
// row packer call them several times a line (docs/import.md). Where a host lacks the methods,
// toString and write. The results are the same: toString and write call these once their
// arguments are read (a lone surrogate written still becomes U+FFFD).

type Native = {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
  utf8Write(text: string, offset: number): number
}
const proto = Buffer.prototype as unknown as Partial<Native>
const direct = typeof proto.latin1Slice === 'function' && typeof proto.utf8Slice === 'function' && typeof proto.utf8Write === 'function'

/** The Latin-1 string of bytes [start, end) of `b`. */
export const latin1Slice = direct
  ? (b: Buffer, start: number, end: number): string => (b as unknown as Native).latin1Slice(start, end)
  : (b: Buffer, start: number, end: number): string => b.toString('latin1', start, end)

/** The string that bytes [start, end) of `b` decode to as UTF-8. */
export const utf8Slice = direct
  ? (b: Buffer, start: number, end: number): string => (b as unknown as Native).utf8Slice(start, end)
  : (b: Buffer, start: number, end: number): string => b.toString('utf8', start, end)

/** Writes `t` as UTF-8 into `b` at `at`; returns the bytes written. */
export const utf8Write = direct
  ? (b: Buffer, t: string, at: number): number => (b as unknown as Native).utf8Write(t, at)
  : (b: Buffer, t: string, at: number): number => b.write(t, at)
