import { basename } from 'node:path'
import type { Tokenizer } from '@huggingface/tokenizers'
import { isUtf8 } from 'node:buffer'
import { decodedWhole, DEFAULT_MAX_LINE_BYTES, readRawLineChunks, sha256, type RawLineChunk } from './lineChunks'
import { lineScanner } from './jsonLine'
import { readJsonElements } from './jsonElements'
import { recordKeyTest } from './mapping'
import { RecordError, RecordExtractor, type RolloutRec } from './records'
import { align, type Aligned } from './align'
import type { SourceFile } from './sources'
import { useCharPass } from '../../core'

// HICRA_CHAR_PASS=js runs the core's JS character pass instead of its WebAssembly one (the same
// numbers to the bit; for checking that, or for a host that forbids WebAssembly). Every import
// and analysis, on any thread, reads its records through this module.
if (process.env.HICRA_CHAR_PASS === 'js') useCharPass('js')

export interface BadLine {
  file: string
  line: number
  /** A record's problem, or the file's own (its gzip data ends broken). */
  kind: RecordError['kind'] | 'corrupt file' | 'line too long'
  message: string
}

export interface Row extends Aligned {
  line: number
}

/**
 * Where rows go as they are read. An object with a method, not a callback: a worker reads unit
 * after unit, and a closure made for each would be a new call target each time, which throws away
 * the optimized line loop that inlined the last one (V8 deoptimizes on "wrong call target").
 */
export interface RowSink {
  row(row: Row): void
}

export type ScanEvent =
  | { type: 'batch'; file: SourceFile; rows: Row[]; bad: BadLine[]; bytesDone: number }
  /** `lines`: non-blank lines; `lastLine`: every line read, blank ones too (the last line's number). */
  | { type: 'fileEnd'; file: SourceFile; hash: string; lines: number; lastLine: number; rows: number; skipped: number
      /** Lines with bytes that are not UTF-8 (imported, each bad sequence as U+FFFD): how many, the first. */
      invalidUtf8?: { lines: number; first: number } }

export interface ScanOptions {
  extractor: RecordExtractor
  tokenizer?: Tokenizer | null
  signal?: AbortSignal
  chunkBytes?: number
  /** Compute each file's SHA-256 while reading (imports); analysis skips it. */
  hash?: boolean
  /** Tells a JSON object that is one record from one keyed by problem id (sources' recordKeyTest). */
  isField?: (key: string) => boolean
  /** Read only this line-aligned byte range (one plain file; line numbers count from its start). */
  range?: { start: number; end: number }
  /**
   * Hears each row as soon as its line is read, instead of in its chunk's batch (whose `rows` are
   * then empty): an analysis counts a response while its text is still in the cache, and a row is
   * garbage before the next line instead of living through the chunk's collections.
   */
  onRow?: RowSink
}

/**
 * Reads every file as line chunks and turns each chunk into rows (rollouts aligned with their
 * tokens) and bad lines. One event per chunk, so a consumer writes one transaction per chunk and
 * reports progress in bytes. A bad line never stops the scan.
 */
export async function* scanFiles(files: readonly SourceFile[], opts: ScanOptions): AsyncGenerator<ScanEvent> {
  let before = 0
  const isField = opts.isField ?? recordKeyTest(opts.extractor.mapping)
  const reading = new Records(opts)
  for (const file of files) {
    const hash = opts.hash ? sha256() : undefined
    const r = reading.start(file)
    if (file.container === 'json') {
      // A JSON document, streamed element by element (jsonElements): each element is a record.
      if (opts.range) throw new Error(`${file.path}: a byte range of a JSON document cannot be read on its own`)
      const maxElementBytes = file.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
      for await (const chunk of readJsonElements(file.path, { chunkBytes: opts.chunkBytes, signal: opts.signal, hash, isField, maxElementBytes })) {
        const rows: Row[] = []
        const bad: BadLine[] = []
        // A record over the cap is skipped like an overlong line: never held whole, named by its line.
        r.tooLong(chunk.overlong, maxElementBytes, 'record', bad)
        for (let i = 0; i < chunk.texts.length; i++) {
          r.lastLine = chunk.lines[i]!
          r.record(chunk.texts[i]!, chunk.lines[i]!, chunk.keys[i]!, rows, bad)
        }
        r.corrupt(chunk.broken, chunk.brokenLine ?? r.lastLine, bad)
        r.nRows += rows.length
        yield { type: 'batch', file, rows, bad, bytesDone: before + chunk.bytesDone }
        if (opts.signal?.aborted) return
      }
    } else {
      const maxLineBytes = file.maxLineBytes
      for await (const chunk of readRawLineChunks(file.path, { chunkBytes: opts.chunkBytes, signal: opts.signal, hash, range: opts.range, maxLineBytes })) {
        const rows: Row[] = []
        const bad: BadLine[] = []
        r.tooLong(chunk.overlong, maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, 'line', bad)
        r.lineChunk(chunk, rows, bad)
        r.corrupt(chunk.broken, chunk.firstLine, bad)
        r.nRows += rows.length
        yield { type: 'batch', file, rows, bad, bytesDone: before + chunk.bytesDone }
        if (opts.signal?.aborted) return
      }
    }
    if (opts.signal?.aborted) return
    before += file.size
    yield { type: 'fileEnd', file, hash: hash ? hash.digest('hex') : '', lines: r.lines, lastLine: r.lastLine, rows: r.nRows, skipped: r.skipped,
      ...(r.badUtf8 > 0 ? { invalidUtf8: { lines: r.badUtf8, first: r.firstBadUtf8 } } : {}) }
  }
}

// One array for every scan on this thread, refilled for each line and read before the next (no
// await between): an array made per scan starts as small integers' kind, and the optimized
// extractor, which had met arrays of objects, was thrown away at each unit's first line ("wrong map").
const recsScratch: RolloutRec[] = []

/**
 * The records of one scan, file by file: the per-line work, out of scanFiles' generator and its
 * per-file closures. Each worker reads many units, and V8 optimizes code per thread: the line
 * loop and the record handling as small methods of one class compile once each, where as
 * closures inside the generator they were compiled again with it (issue #18: TurboFan took ~450 ms
 * of each analysis worker's ~2 s).
 */
class Records {
  private readonly onRow: RowSink | undefined
  private readonly extractor: RecordExtractor
  private readonly tokenizer: Tokenizer | null
  private file!: SourceFile
  name = ''
  lines = 0
  lastLine = 0
  nRows = 0
  skipped = 0
  badUtf8 = 0
  firstBadUtf8 = 0
  // Lines that are JSON objects are read from their bytes (jsonLine.ts); the others, and any
  // the scanner leaves to JSON.parse, are decoded and parsed as a whole.
  private scanner: ReturnType<typeof lineScanner> = null

  constructor(opts: ScanOptions) {
    this.onRow = opts.onRow
    this.extractor = opts.extractor
    this.tokenizer = opts.tokenizer ?? null
  }

  /** Starts the next file: its counts begin at zero. */
  start(file: SourceFile): this {
    this.file = file
    this.name = basename(file.path)
    this.lines = 0
    this.lastLine = 0
    this.nRows = 0
    this.skipped = 0
    this.badUtf8 = 0
    this.firstBadUtf8 = 0
    if (file.container !== 'json') this.scanner = lineScanner()
    return this
  }

  /** Lines (or a JSON document's records) over the cap, skipped unread; a skipped line still counts as a line read. */
  tooLong(overlong: readonly { line: number; bytes: number }[] | undefined, capBytes: number, what: 'line' | 'record', bad: BadLine[]): void {
    for (const o of overlong ?? []) {
      if (what === 'line') this.lines++
      this.skipped++
      bad.push({ file: this.name, line: o.line, kind: 'line too long', message: `the ${what} holds ${megabytes(o.bytes)} MB, over the ` +
        `${megabytes(capBytes)} MB a ${what} may hold: skipped (raise the cap with --max-line-mb)` })
    }
  }

  /** The damage that ends a file early (a truncated gzip stream or document), if the chunk met it. */
  corrupt(message: string | undefined, line: number, bad: BadLine[]): void {
    if (message === undefined) return
    bad.push({ file: this.name, line, kind: 'corrupt file', message })
    this.skipped++
  }

  /** The lines of one chunk of a JSON Lines file. */
  lineChunk(chunk: RawLineChunk, rows: Row[], bad: BadLine[]): void {
    const { bytes, starts, ends } = chunk
    const scanner = this.scanner
    this.lastLine = chunk.firstLine + starts.length - 1
    // Through the last line kept (an over-long one has no bytes here).
    let last = ends.length - 1
    while (last >= 0 && ends[last]! < 0) last--
    const kept = last >= 0 ? ends[last]! : 0
    if (scanner && kept > 0) scanner.load(bytes, kept)
    // Whether the chunk is UTF-8 throughout, asked once its first line with a byte ≥ 0x80 comes.
    let chunkUtf8: boolean | undefined
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i]!
      const e = ends[i]!
      if (s === e) continue
      const line = chunk.firstLine + i
      if (scanner && bytes[s] === 123) {
        const obj = scanner.parse(s, e)
        // A line with bytes that are not UTF-8 is decoded below, which names it.
        if (obj !== null && (!scanner.nonAscii || (chunkUtf8 ??= isUtf8(bytes.subarray(0, kept))) || isUtf8(bytes.subarray(s, e)))) {
          this.parsed(obj, line, null, rows, bad)
          continue
        }
      }
      const text = bytes.toString('utf8', s, e)
      if (!decodedWhole(text, bytes, s, e)) {
        if (this.badUtf8 === 0) this.firstBadUtf8 = line
        this.badUtf8++
      }
      if (text.charCodeAt(0) <= 32 && text.trim() === '') continue
      this.record(text, line, null, rows, bad)
    }
  }

  /** One record: its text, the line it starts on, its key in an object keyed by problem id. */
  record(text: string, line: number, key: string | null, rows: Row[], bad: BadLine[]): void {
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (e) {
      this.lines++
      bad.push({ file: this.name, line, kind: 'malformed JSON', message: (e as Error).message })
      this.skipped++
      return
    }
    this.parsed(raw, line, key, rows, bad)
  }

  /** One record as parsed. */
  parsed(raw: unknown, line: number, key: string | null, rows: Row[], bad: BadLine[]): void {
    this.lines++
    const recs = recsScratch
    recs.length = 0
    let lineBad = false
    try {
      this.extractor.extract(raw, this.file.stepHint, recs, (index, err) => {
        bad.push({ file: this.name, line, kind: err.kind, message: `rollout ${index}: ${err.message}` })
        lineBad = true
      }, key)
    } catch (e) {
      if (!(e instanceof RecordError)) throw e
      bad.push({ file: this.name, line, kind: e.kind, message: e.message })
      this.skipped++
      return
    }
    if (lineBad) this.skipped++
    for (const r of recs) {
      let a: Row
      try {
        a = align(r, this.tokenizer) as Row
      } catch (e) {
        if (!(e instanceof RecordError)) throw e
        bad.push({ file: this.name, line, kind: e.kind, message: e.message })
        if (!lineBad) this.skipped++
        lineBad = true
        continue
      }
      a.line = line
      if (this.onRow) {
        this.nRows++
        this.onRow.row(a)
      } else rows.push(a)
    }
  }
}

const megabytes = (bytes: number) => {
  const mb = bytes / (1 << 20)
  return mb >= 10 ? mb.toFixed(0) : mb.toPrecision(2)
}

/** Skipped lines: every reason counted, the first `keep` listed in full. */
export class BadLines {
  readonly first: BadLine[] = []
  readonly byKind: Record<string, number> = {}
  total = 0
  constructor(readonly keep = 100) {}

  add(list: readonly BadLine[]): void {
    for (const b of list) {
      this.total++
      this.byKind[b.kind] = (this.byKind[b.kind] ?? 0) + 1
      if (this.first.length < this.keep) this.first.push(b)
    }
  }
}
