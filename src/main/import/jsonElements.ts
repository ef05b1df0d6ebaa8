import type { Hash } from 'node:crypto'
import { readBlocks } from './lineChunks'

/**
 * What a JSON document holds: an array of records, an object keyed by problem id whose values are
 * records, or one record (an object whose first value is not an object, or whose first key is a
 * rollout field).
 */
export type JsonShape = 'array' | 'object' | 'record'

export const SHAPE_NAMES: Record<JsonShape | 'lines', string> = {
  lines: 'JSON Lines',
  array: 'JSON array of records',
  object: 'JSON object keyed by problem id',
  record: 'one JSON record'
}

/** Elements cut from a run of blocks, each with the line it starts on. */
export interface Elements {
  texts: string[]
  lines: number[]
  /** The element's key in an object keyed by problem id; null in an array. */
  keys: (string | null)[]
  /** Elements over the size cap: left out unread (never held whole), with their line and size. */
  overlong?: { line: number; bytes: number }[]
}

const enum M { Start, ArrayNext, ObjectNext, Key, Colon, ValueStart, Value, Done, Failed }
const enum K { Container, String, Scalar }

/** Collects the bytes of one element (or key) that may span blocks; decodes it once it is whole. */
class Capture {
  private buf = Buffer.alloc(0)
  private len = 0
  /** Bytes of the current element, counted on past the cap (the cap keeps memory bounded, as for lines). */
  private total = 0
  constructor(private readonly max = Infinity) {}
  /** Where the element starts in the current block (0 once it continues from an earlier block), or -1. */
  start = -1
  begin(i: number): void {
    this.len = 0
    this.total = 0
    this.start = i
  }
  /** At a block's end: keeps the part in this block; the element continues at the next one's start. */
  carry(block: Buffer): void {
    if (this.start < 0) return
    this.append(block, this.start, block.length)
    this.start = 0
  }
  /** The element's text, or its size in bytes where it is over the cap (its bytes were not kept). */
  take(block: Buffer, end: number): string | number {
    if (this.total + (end - this.start) > this.max) {
      const bytes = this.total + (end - this.start)
      this.len = 0
      this.total = 0
      this.start = -1
      return bytes
    }
    let s: string
    if (this.len === 0) s = block.toString('utf8', this.start, end)
    else {
      this.append(block, this.start, end)
      s = this.buf.toString('utf8', 0, this.len)
    }
    this.len = 0
    this.total = 0
    this.start = -1
    return s
  }
  private append(b: Buffer, from: number, to: number): void {
    const n = to - from
    this.total += n
    if (this.total > this.max) {
      this.len = 0
      return
    }
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n, 1 << 16))
      this.buf.copy(bigger, 0, 0, this.len)
      this.buf = bigger
    }
    b.copy(this.buf, this.len, from, to)
    this.len += n
  }
}

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9

/**
 * Cuts a JSON document, fed as blocks of bytes, into the text of each top-level element (array
 * items, or the values of an object keyed by problem id), so that each goes through JSON.parse on
 * its own: memory holds one element, not the document. It tracks strings, escapes and depth over
 * the bytes and counts lines, so each element comes with the line it starts on. `isField(key)`:
 * whether an object's first key names a rollout field (then the object is one record).
 */
export class JsonSplitter {
  shape: JsonShape | null = null
  /** Why the document could not be read on (with its line), or null. */
  error: string | null = null
  errorLine = 0
  private mode = M.Start
  private line = 1
  private elemLine = 1
  private kind = K.Container
  private depth = 0
  private inStr = false
  private esc = false
  private afterElem = false
  private firstKey = true
  private key: string | null = null
  private readonly elem: Capture
  private readonly keyCap: Capture
  private bom = 0
  // The next backslash in the current block at or after the scan (-1: none; -2: not looked for):
  // looked up again only once passed, so many short strings cost one pass over the block.
  private bs = -2

  /** `maxElementBytes`: the cap on one element (and one key), like the line cap of JSON Lines. */
  constructor(private readonly isField: (key: string) => boolean = () => false, maxElementBytes = Infinity) {
    this.elem = new Capture(maxElementBytes)
    this.keyCap = new Capture(maxElementBytes)
  }

  private fail(msg: string): void {
    this.error = `${msg} (line ${this.line})`
    this.errorLine = this.line
    this.mode = M.Failed
  }

  /** Scans a string from `i`; returns where scanning stopped (after the closing quote, or the block's end). */
  private scanString(b: Buffer, i: number, n: number): number {
    if (this.esc) {
      this.esc = false
      i++
    }
    while (i < n) {
      const q = b.indexOf(34, i)
      const end = q < 0 ? n : q
      if (this.bs !== -1 && this.bs < i) this.bs = b.indexOf(92, i)
      if (this.bs >= 0 && this.bs < end) {
        // An escape: skip the character after the backslash (\" does not end the string).
        i = this.bs + 2
        if (i > n) {
          this.esc = true
          return n
        }
        continue
      }
      if (q < 0) return n
      this.inStr = false
      return q + 1
    }
    return i
  }

  private beginValue(c: number, i: number): void {
    this.elemLine = this.line
    this.elem.begin(i)
    this.mode = M.Value
    this.depth = 0
    if (c === 123 || c === 91) {
      this.kind = K.Container
      this.depth = 1
    } else if (c === 34) {
      this.kind = K.String
      this.inStr = true
    } else this.kind = K.Scalar
  }

  private emit(b: Buffer, end: number, out: Elements): void {
    const text = this.elem.take(b, end)
    if (typeof text === 'number') (out.overlong ??= []).push({ line: this.elemLine, bytes: text })
    else {
      out.texts.push(text)
      out.lines.push(this.elemLine)
      out.keys.push(this.key)
    }
    this.key = null
    this.afterElem = true
    this.mode = this.shape === 'array' ? M.ArrayNext : this.shape === 'object' ? M.ObjectNext : M.Done
  }

  feed(b: Buffer, out: Elements): void {
    const n = b.length
    let i = 0
    this.bs = -2
    while (i < n) {
      switch (this.mode) {
        case M.Failed:
          return
        case M.Start: {
          const c = b[i]!
          // A UTF-8 byte-order mark before the document.
          if (this.bom < 3 && c === [0xef, 0xbb, 0xbf][this.bom]) {
            this.bom++
            i++
            break
          }
          this.bom = 3
          if (isWs(c)) {
            if (c === 10) this.line++
            i++
          } else if (c === 91) {
            this.shape = 'array'
            this.mode = M.ArrayNext
            i++
          } else if (c === 123) {
            this.shape = 'object'
            // Kept from the brace until the first value tells a keyed object from one record.
            this.elemLine = this.line
            this.elem.begin(i)
            this.mode = M.ObjectNext
            i++
          } else this.fail('not a JSON array or object: it starts with ' + JSON.stringify(String.fromCharCode(c)))
          break
        }
        case M.ArrayNext:
        case M.ObjectNext: {
          const c = b[i]!
          const close = this.mode === M.ArrayNext ? 93 : 125
          if (isWs(c)) {
            if (c === 10) this.line++
            i++
          } else if (c === 44 && this.afterElem) {
            this.afterElem = false
            i++
          } else if (c === close && (this.afterElem || this.firstKey || this.shape === 'array')) {
            if (this.shape === 'object' && this.firstKey) this.elem.start = -1
            this.mode = M.Done
            i++
          } else if (this.afterElem) this.fail(`expected "," or "${String.fromCharCode(close)}" after an element`)
          else if (this.mode === M.ArrayNext) this.beginValue(c, i++)
          else if (c === 34) {
            this.keyCap.begin(i)
            this.inStr = true
            this.mode = M.Key
            i++
          } else this.fail('expected a quoted key')
          break
        }
        case M.Key: {
          i = this.scanString(b, i, n)
          if (this.inStr) break
          const text = this.keyCap.take(b, i)
          if (typeof text === 'number') {
            this.fail(`a key of ${text} bytes, over the cap on one element`)
            break
          }
          try {
            this.key = JSON.parse(text) as string
          } catch {
            this.fail(`a malformed key ${text.slice(0, 80)}`)
            break
          }
          this.mode = M.Colon
          break
        }
        case M.Colon: {
          const c = b[i]!
          if (isWs(c)) {
            if (c === 10) this.line++
            i++
          } else if (c === 58) {
            this.mode = M.ValueStart
            i++
          } else this.fail('expected ":" after a key')
          break
        }
        case M.ValueStart: {
          const c = b[i]!
          if (isWs(c)) {
            if (c === 10) this.line++
            i++
            break
          }
          if (this.firstKey) {
            this.firstKey = false
            if (c !== 123 || this.isField(this.key!)) {
              // One record: the whole object is the element, scanned from inside its brace.
              this.shape = 'record'
              this.key = null
              this.mode = M.Value
              this.kind = K.Container
              this.depth = 1
              break
            }
            this.elem.start = -1
          }
          this.beginValue(c, i++)
          break
        }
        case M.Value: {
          if (this.inStr) {
            i = this.scanString(b, i, n)
            if (!this.inStr && this.kind === K.String) this.emit(b, i, out)
            break
          }
          // Outside strings: structure, numbers and literals, byte by byte.
          let ended = -1
          while (i < n) {
            const c = b[i]!
            if (c === 34) {
              this.inStr = true
              i++
              break
            }
            if (this.kind === K.Scalar) {
              if (c === 44 || c === 93 || c === 125 || isWs(c)) {
                ended = i
                break
              }
            } else if (c === 123 || c === 91) this.depth++
            else if (c === 125 || c === 93) {
              if (--this.depth === 0) {
                ended = ++i
                break
              }
            } else if (c === 10) this.line++
            i++
          }
          if (ended >= 0) this.emit(b, ended, out)
          break
        }
        case M.Done: {
          const c = b[i]!
          if (!isWs(c)) {
            this.fail('text after the end of the JSON document')
            break
          }
          if (c === 10) this.line++
          i++
          break
        }
      }
    }
    this.elem.carry(b)
    this.keyCap.carry(b)
  }

  /** At the end of the input: whether the document was whole. */
  end(out: Elements): void {
    if (this.mode === M.Failed || this.mode === M.Done || this.mode === M.Start) return
    // A number or literal that ends the document's last line (a bare record value) ends here.
    if (this.mode === M.Value && this.kind === K.Scalar && this.shape === 'record') return
    this.fail(`the JSON document ends before its closing ${this.shape === 'array' ? ']' : '}'} (truncated?); the elements before were read`)
    void out
  }

  /** Nothing but whitespace so far (an empty or blank file once the input ended). */
  get blank(): boolean {
    return this.mode === M.Start
  }
}

export interface ElementChunk extends Elements {
  bytesDone: number
  /** The document's shape, once known. */
  shape: JsonShape | null
  /** Set on the last chunk when the document is malformed or its gzip data is broken: why, and where. */
  broken?: string
  brokenLine?: number
}

/**
 * Streams a JSON document (plain or gzip) as chunks of its top-level elements, one chunk per block
 * read: the same constant memory as JSON Lines, whatever the document's size.
 */
export async function* readJsonElements(path: string, opts: { chunkBytes?: number; signal?: AbortSignal; hash?: Hash; isField?: (key: string) => boolean; maxElementBytes?: number } = {}): AsyncGenerator<ElementChunk> {
  const sp = new JsonSplitter(opts.isField, opts.maxElementBytes)
  let done = 0
  for await (const b of readBlocks(path, opts)) {
    done = b.bytesDone
    if ('broken' in b) {
      yield { texts: [], lines: [], keys: [], bytesDone: b.bytesDone, shape: sp.shape, broken: b.broken, brokenLine: sp.errorLine || undefined }
      return
    }
    const out: Elements = { texts: [], lines: [], keys: [] }
    // After a structural error the rest is only read for the content hash.
    if (sp.error === null) sp.feed(b.block, out)
    yield { ...out, bytesDone: b.bytesDone, shape: sp.shape }
  }
  const out: Elements = { texts: [], lines: [], keys: [] }
  sp.end(out)
  if (sp.error !== null) yield { ...out, bytesDone: done, shape: sp.shape, broken: sp.error, brokenLine: sp.errorLine }
}

/** The first `n` elements of a JSON document (reads at most about `maxBytes`), and its shape. */
export async function firstElements(path: string, n: number, maxBytes = 8 << 20, isField?: (key: string) => boolean):
  Promise<{ shape: JsonShape | null; items: { line: number; text: string; key: string | null }[]; error: string | null }> {
  const sp = new JsonSplitter(isField)
  const items: { line: number; text: string; key: string | null }[] = []
  let read = 0
  for await (const b of readBlocks(path, { chunkBytes: 1 << 20 })) {
    if ('broken' in b) return { shape: sp.shape, items, error: b.broken }
    const out: Elements = { texts: [], lines: [], keys: [] }
    sp.feed(b.block, out)
    for (let i = 0; i < out.texts.length && items.length < n; i++) items.push({ line: out.lines[i]!, text: out.texts[i]!, key: out.keys[i]! })
    read += b.block.length
    if (items.length >= n || sp.error !== null || read >= maxBytes) return { shape: sp.shape, items, error: sp.error }
  }
  sp.end({ texts: [], lines: [], keys: [] })
  return { shape: sp.shape, items, error: sp.error }
}
