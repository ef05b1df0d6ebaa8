import { createReadStream } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { Hash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { openRegular } from './regularFiles'

// zlib and crypto are loaded when a gzip file or a content hash first needs them: an analysis of
// plain files needs neither, and every thread that loaded both as it started paid ~12 ms for them
// (issue #18: the CLI before its first unit, each analysis worker as it booted).
const createGunzip = (o: import('node:zlib').ZlibOptions) => process.getBuiltinModule('node:zlib').createGunzip(o)
/** A new SHA-256 hash (node:crypto loaded on first use). */
export const sha256 = (): Hash => process.getBuiltinModule('node:crypto').createHash('sha256')

/** A run of whole lines read from one file. */
export interface LineChunk {
  lines: string[]
  /** 1-based line number of lines[0] in the file. */
  firstLine: number
  /**
   * Bytes of the file consumed so far: through the end of this chunk's last line; for a gzip
   * file, the compressed bytes read so far (the file's size at its last chunk).
   */
  bytesDone: number
  /**
   * Set on a file's last chunk when its data ends broken (truncated or corrupt gzip): why. The
   * lines before it were given whole; the broken line is not.
   */
  broken?: string
  /**
   * Lines longer than the cap (ReadOptions.maxLineBytes): in `lines` as empty strings, so numbering
   * holds, and listed here with their length in bytes (at least; the rest was not kept).
   */
  overlong?: { line: number; bytes: number }[]
  /** Lines holding bytes that are not UTF-8 (kept, each bad sequence read as U+FFFD). */
  invalidUtf8?: number[]
}

export interface ReadOptions {
  chunkBytes?: number
  signal?: AbortSignal
  /** Fed every byte of the file in order (content hash while streaming; gzip files: as stored). */
  hash?: Hash
  /**
   * Only bytes [start, end) of a plain file, both at line starts (see lineRanges): line numbers
   * and bytesDone then count from `start`.
   */
  range?: { start: number; end: number }
  /** The longest line kept, in bytes (DEFAULT_MAX_LINE_BYTES); a longer one is skipped, in bounded memory. */
  maxLineBytes?: number
}

const DEFAULT_CHUNK = 1 << 20
/** 64 MB: far above any real rollout record, far below what a string or the heap can hold. */
export const DEFAULT_MAX_LINE_BYTES = 64 << 20

class BrokenFile extends Error {}

// Block and line buffers of files read through, kept for the next file this thread reads. A
// file's buffers live as long as the file, so they reach V8's old generation, where a thread that
// promotes little else (an import worker packing each row as it reads it) frees them only when
// external memory has grown by V8's limit: up to ~60 MB of dead buffers a worker, in peak RSS.
const spare: Buffer[] = []
const SPARE = 4
function takeBuffer(size: number): Buffer {
  const i = spare.findIndex((b) => b.length === size)
  return i >= 0 ? spare.splice(i, 1)[0]! : Buffer.allocUnsafe(size)
}
/** Call only when nothing reads into `b` or holds its bytes any more. The latest are kept. */
function giveBack(b: Buffer): void {
  if (spare.push(b) > SPARE) spare.shift()
}

/** Whether a file starts with the gzip magic bytes (rollout dumps are often kept compressed). */
async function isGzip(fh: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(2)
  const { bytesRead } = await fh.read(head, 0, 2, 0)
  return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b
}

/**
 * A plain file's blocks. The next block is read while the consumer works on the lines of this one
 * (on one thread, waiting for each read cost about 5% of an analysis): two block buffers in turn,
 * so a block is valid until the next one is asked for.
 */
async function* plainBlocks(fh: FileHandle, size: number, hash: Hash | undefined, start = 0, end = Infinity): AsyncGenerator<Buffer> {
  let cur = takeBuffer(size)
  let next = takeBuffer(size)
  let position = start
  // Closing the handle (the caller's finally) waits for a read still in flight.
  let pending = fh.read(cur, 0, Math.min(size, end - position), position)
  for (;;) {
    const { bytesRead } = await pending
    if (bytesRead === 0) {
      // No read in flight, and the consumer asked past the last block.
      giveBack(cur)
      giveBack(next)
      return
    }
    position += bytesRead
    pending = position < end ? fh.read(next, 0, Math.min(size, end - position), position) : Promise.resolve({ bytesRead: 0, buffer: next })
    hash?.update(cur.subarray(0, bytesRead))
    yield cur.subarray(0, bytesRead)
    const t = cur
    cur = next
    next = t
  }
}

/** A gzip file's decompressed blocks, streamed (zlib works on its own thread meanwhile). */
async function* gzipBlocks(path: string, size: number, hash: Hash | undefined, read: { bytes: number }): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: size })
  const gunzip = createGunzip({ chunkSize: Math.max(64, Math.min(size, 1 << 20)) })
  // `read.bytes`: the stored bytes read (and hashed) so far, for progress and, when the data
  // breaks off, for hashing the rest of the file.
  raw.on('data', (b: string | Buffer) => {
    read.bytes += b.length
    hash?.update(b)
  })
  raw.on('error', (e) => gunzip.destroy(e))
  raw.pipe(gunzip)
  try {
    yield* gunzip as AsyncIterable<Buffer>
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
      throw new BrokenFile(`the gzip data is ${code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt'} (${(e as Error).message}); the lines before were read`)
    }
    throw e
  } finally {
    raw.destroy()
    gunzip.destroy()
  }
}

/** Lines as their bytes: line i is bytes [starts[i], ends[i]) of `bytes` (valid until the next chunk is asked for). */
export interface RawLineChunk extends Omit<LineChunk, 'lines' | 'invalidUtf8'> {
  bytes: Buffer
  /** An over-long line's start and end are -1 (it is listed in `overlong`). */
  starts: Int32Array
  ends: Int32Array
}

/** A chunk's lines: line i is bytes [starts[i], ends[i]) of `bytes`. */
type Cut = Pick<RawLineChunk, 'bytes' | 'starts' | 'ends'>

/**
 * Streams a file, plain or gzip-compressed (told by its first bytes, not its name), as chunks of
 * whole lines in constant memory, each line decoded on its own (see readRawLineChunks).
 */
export async function* readLineChunks(path: string, opts: ReadOptions = {}): AsyncGenerator<LineChunk> {
  for await (const c of readRawLineChunks(path, opts)) {
    const { bytes, starts, ends, ...rest } = c
    // Each line is decoded on its own: one non-ASCII character in a chunk decoded whole would
    // make every line of it a two-byte string, slowing JSON.parse and every scan after it.
    const lines: string[] = []
    const invalid: number[] = []
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i]!
      if (s < 0) {
        lines.push('')
        continue
      }
      const text = bytes.toString('utf8', s, ends[i])
      if (!decodedWhole(text, bytes, s, ends[i]!)) invalid.push(c.firstLine + i)
      lines.push(text)
    }
    yield { lines, ...rest, ...(invalid.length > 0 ? { invalidUtf8: invalid } : {}) }
  }
}

/**
 * Whether `text`, decoded from bytes [start, end), is all of them: false where bytes that are not
 * UTF-8 became U+FFFD (the check runs only when the text holds U+FFFD, which a file may also hold
 * as itself).
 */
export function decodedWhole(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  return !text.includes('\uFFFD') || isUtf8(bytes.subarray(start, end))
}

/**
 * A file's lines as bytes, in chunks of whole lines in constant memory: blocks join the partial
 * line left over in one line buffer (grown only for a single line longer than it holds), and lines
 * are cut at newline bytes, so a UTF-8 character never straddles two lines. `\r\n` endings and a
 * byte-order mark are accepted.
 */
export async function* readRawLineChunks(path: string, opts: ReadOptions = {}): AsyncGenerator<RawLineChunk> {
  const fh = await openRegular(path)
  try {
    const size = opts.chunkBytes ?? DEFAULT_CHUNK
    const cap = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
    let overlong: { line: number; bytes: number }[] = []
    // Every chunk is made here, by one object literal, with the over-long lines met since the last
    // one. (Made by spreading its parts, each chunk had a map of its own once V8 optimized this
    // generator: the reader's loads then missed at every chunk, and dropped their optimized code.)
    const chunkOf = (lines: Cut, firstLine: number): RawLineChunk => {
      const c: RawLineChunk = { bytes: lines.bytes, starts: lines.starts, ends: lines.ends, firstLine, bytesDone: bytesDone() }
      if (overlong.length > 0) {
        c.overlong = overlong
        overlong = []
      }
      return c
    }
    const none = Buffer.alloc(0)
    const skipped = (): Cut => ({ bytes: none, starts: Int32Array.of(-1), ends: Int32Array.of(-1) })
    const gz = await isGzip(fh)
    const gzRead = { bytes: 0 }
    if (gz && opts.range) throw new Error(`${path}: a byte range of a gzip file cannot be read on its own`)
    const blocks = gz ? gzipBlocks(path, size, opts.hash, gzRead) : plainBlocks(fh, size, opts.hash, opts.range?.start, opts.range?.end)
    let buf = takeBuffer(size * 2)
    let filled = 0
    let consumed = 0
    let lineNo = 1
    // Line starts and ends cut at newlines (reused: a chunk's arrays are valid until the next).
    let starts = new Int32Array(1024)
    let ends = new Int32Array(1024)
    const cut = (end: number): Cut => {
      let n = 0
      let pos = 0
      // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first line.
      if (consumed === 0 && !opts.range?.start && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3
      while (pos < end) {
        let nl = buf.indexOf(10, pos)
        if (nl < 0 || nl >= end) nl = end
        const stop = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl
        if (n === starts.length) {
          const s2 = new Int32Array(2 * n)
          s2.set(starts)
          starts = s2
          const e2 = new Int32Array(2 * n)
          e2.set(ends)
          ends = e2
        }
        if (stop - pos > cap) {
          overlong.push({ line: lineNo + n, bytes: stop - pos })
          starts[n] = -1
          ends[n] = -1
        } else {
          starts[n] = pos
          ends[n] = stop
        }
        n++
        pos = nl + 1
      }
      consumed += end
      return { bytes: buf, starts: starts.subarray(0, n), ends: ends.subarray(0, n) }
    }
    let broken: string | undefined
    // Bytes of an over-long line being passed over (-1: none): never held, only counted.
    let skipping = -1
    const bytesDone = () => (gz ? gzRead.bytes : consumed)
    try {
      for await (let block of blocks) {
        if (opts.signal?.aborted) return
        if (skipping >= 0) {
          const nl = block.indexOf(10)
          if (nl < 0) {
            skipping += block.length
            consumed += block.length
            continue
          }
          consumed += nl + 1
          overlong.push({ line: lineNo, bytes: skipping + nl })
          yield chunkOf(skipped(), lineNo)
          lineNo++
          skipping = -1
          block = block.subarray(nl + 1)
        }
        // The buffer holds only the partial line left over: with this block it would pass the cap.
        const firstNl = block.indexOf(10)
        if (filled + (firstNl < 0 ? block.length : firstNl) > cap) {
          if (firstNl < 0) {
            skipping = filled + block.length
            consumed += skipping
            filled = 0
            continue
          }
          consumed += filled + firstNl + 1
          overlong.push({ line: lineNo, bytes: filled + firstNl })
          yield chunkOf(skipped(), lineNo)
          lineNo++
          filled = 0
          block = block.subarray(firstNl + 1)
        }
        const n = block.length
        if (filled + n > buf.length) {
          // A line longer than the buffer holds: grow it (the only growth there is).
          const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, filled + n))
          buf.copy(bigger, 0, 0, filled)
          buf = bigger
        }
        block.copy(buf, filled)
        filled += n
        const end = buf.lastIndexOf(10, filled - 1) + 1
        if (end === 0) continue
        const whole = cut(end)
        yield chunkOf(whole, lineNo)
        lineNo += whole.starts.length
        buf.copy(buf, 0, end, filled)
        filled -= end
      }
    } catch (e) {
      if (!(e instanceof BrokenFile)) throw e
      broken = e.message
    }
    if (opts.signal?.aborted) return
    if (broken !== undefined) {
      // The content hash is of the whole stored file, broken or not: the rest goes in too.
      if (opts.hash) await hashFrom(fh, gzRead.bytes, opts.hash)
      // Reported at the line it cut; the whole lines before it went out already.
      yield { bytes: none, starts: new Int32Array(0), ends: new Int32Array(0), firstLine: lineNo, bytesDone: (await fh.stat()).size, broken }
      return
    }
    // The last line, without a newline after it.
    if (skipping >= 0) {
      overlong.push({ line: lineNo, bytes: skipping })
      yield chunkOf(skipped(), lineNo)
    } else if (filled > 0) {
      yield chunkOf(cut(filled), lineNo)
    }
    // Past the last chunk: its bytes are no one's any more (a line too long for the buffer grew
    // a larger one, which is let go).
    if (buf.length === size * 2) giveBack(buf)
  } finally {
    await fh.close()
  }
}

/** One block of a file's bytes (decompressed for gzip), or why its data ends broken. */
export type Block = { block: Buffer; bytesDone: number } | { broken: string; bytesDone: number }

/**
 * A file's bytes as blocks, plain or gzip-compressed, for readers that cut them otherwise than at
 * newlines (JSON documents, see jsonElements). A block is valid until the next one is asked for;
 * `bytesDone` counts stored bytes (compressed ones for gzip). A broken gzip stream ends with its
 * reason, the rest of the file hashed.
 */
export async function* readBlocks(path: string, opts: Omit<ReadOptions, 'range'> = {}): AsyncGenerator<Block> {
  const fh = await openRegular(path)
  try {
    const size = opts.chunkBytes ?? DEFAULT_CHUNK
    const gz = await isGzip(fh)
    const gzRead = { bytes: 0 }
    let done = 0
    try {
      for await (const block of gz ? gzipBlocks(path, size, opts.hash, gzRead) : plainBlocks(fh, size, opts.hash)) {
        if (opts.signal?.aborted) return
        done += block.length
        yield { block, bytesDone: gz ? gzRead.bytes : done }
      }
    } catch (e) {
      if (!(e instanceof BrokenFile)) throw e
      if (opts.hash) await hashFrom(fh, gzRead.bytes, opts.hash)
      yield { broken: e.message, bytesDone: (await fh.stat()).size }
    }
  } finally {
    await fh.close()
  }
}

/** Feeds `hash` the file's bytes from `at` to its end. */
async function hashFrom(fh: FileHandle, at: number, hash: Hash, signal?: AbortSignal): Promise<void> {
  const buf = Buffer.allocUnsafe(DEFAULT_CHUNK)
  for (;;) {
    if (signal?.aborted) throw new Error('cancelled')
    const { bytesRead } = await fh.read(buf, 0, buf.length, at)
    if (bytesRead === 0) return
    hash.update(buf.subarray(0, bytesRead))
    at += bytesRead
  }
}

/** SHA-256 of a file, streamed. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = sha256()
  const fh = await openRegular(path)
  try {
    await hashFrom(fh, 0, h, signal)
  } finally {
    await fh.close()
  }
  return h.digest('hex')
}

/** The first `n` non-empty lines of a file (reads at most `maxBytes`, `chunkBytes` at a time). */
export async function firstLines(path: string, n: number, maxBytes = 8 << 20, chunkBytes = 1 << 20): Promise<{ line: number; text: string }[]> {
  const out: { line: number; text: string }[] = []
  let read = 0
  for await (const chunk of readLineChunks(path, { chunkBytes })) {
    for (let i = 0; i < chunk.lines.length && out.length < n; i++) {
      if (chunk.lines[i].trim() !== '') out.push({ line: chunk.firstLine + i, text: chunk.lines[i] })
    }
    read = chunk.bytesDone
    if (out.length >= n || read >= maxBytes) break
  }
  return out
}

/** Whether a file holds gzip data (its first two bytes). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await openRegular(path)
  try {
    return await isGzip(fh)
  } finally {
    await fh.close()
  }
}

/**
 * Cuts a plain file into about `parts` byte ranges that start and end at line starts, so that
 * threads can read one each (readLineChunks' `range`). Fewer when lines are long.
 */
export async function lineRanges(path: string, size: number, parts: number): Promise<{ start: number; end: number }[]> {
  const cuts = [0]
  const fh = await openRegular(path)
  try {
    const probe = Buffer.allocUnsafe(1 << 16)
    for (let k = 1; k < parts; k++) {
      let at = Math.max(Math.floor((size * k) / parts), cuts[cuts.length - 1]!)
      // The first line start after the nominal cut.
      let cut = -1
      while (cut < 0 && at < size) {
        const { bytesRead } = await fh.read(probe, 0, probe.length, at)
        if (bytesRead === 0) break
        const nl = probe.subarray(0, bytesRead).indexOf(10)
        if (nl >= 0) cut = at + nl + 1
        else at += bytesRead
      }
      if (cut > cuts[cuts.length - 1]! && cut < size) cuts.push(cut)
    }
  } finally {
    await fh.close()
  }
  return cuts.map((start, i) => ({ start, end: i + 1 < cuts.length ? cuts[i + 1]! : size }))
}
