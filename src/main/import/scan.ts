import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import type { Tokenizer } from '@huggingface/tokenizers'
import { DEFAULT_MAX_LINE_BYTES, readLineChunks } from './lineChunks'
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
}

/**
 * Reads every file as line chunks and turns each chunk into rows (rollouts aligned with their
 * tokens) and bad lines. One event per chunk, so a consumer writes one transaction per chunk and
 * reports progress in bytes. A bad line never stops the scan.
 */
export async function* scanFiles(files: readonly SourceFile[], opts: ScanOptions): AsyncGenerator<ScanEvent> {
  let before = 0
  const recs: RolloutRec[] = []
  const isField = opts.isField ?? recordKeyTest(opts.extractor.mapping)
  for (const file of files) {
    const name = basename(file.path)
    const hash = opts.hash ? createHash('sha256') : undefined
    let lines = 0
    let lastLine = 0
    let nRows = 0
    let skipped = 0
    let badUtf8 = 0
    let firstBadUtf8 = 0
    // One record: its text, the line it starts on, its key in an object keyed by problem id.
    const record = (text: string, line: number, key: string | null, rows: Row[], bad: BadLine[]) => {
      lines++
      let raw: unknown
      try {
        raw = JSON.parse(text)
      } catch (e) {
        bad.push({ file: name, line, kind: 'malformed JSON', message: (e as Error).message })
        skipped++
        return
      }
      recs.length = 0
      let lineBad = false
      try {
        opts.extractor.extract(raw, file.stepHint, recs, (index, err) => {
          bad.push({ file: name, line, kind: err.kind, message: `rollout ${index}: ${err.message}` })
          lineBad = true
        }, key)
      } catch (e) {
        if (!(e instanceof RecordError)) throw e
        bad.push({ file: name, line, kind: e.kind, message: e.message })
        skipped++
        return
      }
      if (lineBad) skipped++
      for (const r of recs) {
        try {
          const a = align(r, opts.tokenizer ?? null) as Row
          a.line = line
          rows.push(a)
        } catch (e) {
          if (!(e instanceof RecordError)) throw e
          bad.push({ file: name, line, kind: e.kind, message: e.message })
          if (!lineBad) skipped++
          lineBad = true
        }
      }
    }
    if (file.container === 'json') {
      // A JSON document, streamed element by element (jsonElements): each element is a record.
      if (opts.range) throw new Error(`${file.path}: a byte range of a JSON document cannot be read on its own`)
      const maxElementBytes = file.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
      for await (const chunk of readJsonElements(file.path, { chunkBytes: opts.chunkBytes, signal: opts.signal, hash, isField, maxElementBytes })) {
        const rows: Row[] = []
        const bad: BadLine[] = []
        // A record over the cap is skipped like an overlong line: never held whole, named by its line.
        for (const o of chunk.overlong ?? []) {
          skipped++
          bad.push({ file: name, line: o.line, kind: 'line too long', message: `the record holds ${megabytes(o.bytes)} MB, over the ` +
            `${megabytes(maxElementBytes)} MB a record may hold: skipped (raise the cap with --max-line-mb)` })
        }
        for (let i = 0; i < chunk.texts.length; i++) {
          lastLine = chunk.lines[i]!
          record(chunk.texts[i]!, chunk.lines[i]!, chunk.keys[i]!, rows, bad)
        }
        if (chunk.broken !== undefined) {
          bad.push({ file: name, line: chunk.brokenLine ?? lastLine, kind: 'corrupt file', message: chunk.broken })
          skipped++
        }
        nRows += rows.length
        yield { type: 'batch', file, rows, bad, bytesDone: before + chunk.bytesDone }
        if (opts.signal?.aborted) return
      }
    } else {
      const maxLineBytes = file.maxLineBytes
      for await (const chunk of readLineChunks(file.path, { chunkBytes: opts.chunkBytes, signal: opts.signal, hash, range: opts.range, maxLineBytes })) {
        lastLine = chunk.firstLine + chunk.lines.length - 1
        const rows: Row[] = []
        const bad: BadLine[] = []
        for (const o of chunk.overlong ?? []) {
          lines++
          skipped++
          bad.push({ file: name, line: o.line, kind: 'line too long', message: `the line holds ${megabytes(o.bytes)} MB, over the ` +
            `${megabytes(maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)} MB a line may hold: skipped (raise the cap with --max-line-mb)` })
        }
        if (chunk.invalidUtf8) {
          if (badUtf8 === 0) firstBadUtf8 = chunk.invalidUtf8[0]!
          badUtf8 += chunk.invalidUtf8.length
        }
        for (let i = 0; i < chunk.lines.length; i++) {
          const text = chunk.lines[i]
          if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) continue
          record(text, chunk.firstLine + i, null, rows, bad)
        }
        if (chunk.broken !== undefined) {
          bad.push({ file: name, line: chunk.firstLine, kind: 'corrupt file', message: chunk.broken })
          skipped++
        }
        nRows += rows.length
        yield { type: 'batch', file, rows, bad, bytesDone: before + chunk.bytesDone }
        if (opts.signal?.aborted) return
      }
    }
    if (opts.signal?.aborted) return
    before += file.size
    yield { type: 'fileEnd', file, hash: hash ? hash.digest('hex') : '', lines, lastLine, rows: nRows, skipped,
      ...(badUtf8 > 0 ? { invalidUtf8: { lines: badUtf8, first: firstBadUtf8 } } : {}) }
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
