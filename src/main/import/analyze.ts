import { compileMatcher } from '../../core'
import type { Tokenizer } from '@huggingface/tokenizers'
import { listSources, type ImportFormat } from './sources'
import { RecordExtractor } from './records'
import { BadLines, scanFiles } from './scan'
import { StepMetricsBook, type StepRow } from './stepMetrics'
import type { FieldMapping } from './mapping'

export interface AnalyzeOptions {
  paths: string[]
  format?: ImportFormat
  mapping?: FieldMapping
  phrases: string[]
  tokenizer?: Tokenizer | null
  signal?: AbortSignal
  onProgress?: (bytesDone: number, bytesTotal: number, rollouts: number) => void
}

export interface AnalyzeResult {
  format: ImportFormat
  steps: StepRow[]
  rollouts: number
  bytes: number
  bad: BadLines
  notes: string[]
  mapping: { record: FieldMapping; rollout: FieldMapping }
}

/** SPEC §4 metrics per step of rollout files, without a workspace (`hicra analyze`). */
export async function analyzeFiles(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const src = await listSources(opts.paths, opts.format, opts.mapping)
  const extractor = new RecordExtractor(opts.mapping ?? {})
  const book = new StepMetricsBook(compileMatcher(opts.phrases))
  const bad = new BadLines()
  const total = src.files.reduce((s, f) => s + f.size, 0)
  let rollouts = 0
  for await (const ev of scanFiles(src.files, { extractor, tokenizer: opts.tokenizer, signal: opts.signal })) {
    if (ev.type !== 'batch') continue
    for (const row of ev.rows) book.add(row)
    rollouts += ev.rows.length
    bad.add(ev.bad)
    opts.onProgress?.(ev.bytesDone, total, rollouts)
  }
  if (opts.signal?.aborted) throw new Error('cancelled')
  return { format: src.format, steps: book.results(), rollouts, bytes: total, bad, notes: src.notes, mapping: extractor.resolved() }
}
