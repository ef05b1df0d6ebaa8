import { compileMatcher, type StepMetricsState } from '../../core'
import type { Tokenizer } from '@huggingface/tokenizers'
import { RecordExtractor } from './records'
import { BadLines, scanFiles } from './scan'
import { StepMetricsBook } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'

/** What one file, or one line-aligned byte range of it, contributes to an analysis. */
export interface FileMetrics {
  /** Each step's counts, to be merged with the other parts' in file order (StepMetricsBook.mergeState). */
  states: { step: number; state: StepMetricsState }[]
  rollouts: number
  /** Rollouts with token spans (their length counts tokens, the others' words). */
  tokenRollouts: number
  bad: BadLines
  /** Lines read, blank ones too: a range's bad lines are numbered from its start, and this places the next range. */
  lastLine: number
  mapping: { record: FieldMapping; rollout: FieldMapping }
}

/**
 * The counts of one file's steps, or of one byte range of a plain file: what an analysis worker
 * computes. Merged in file order, the parts give exactly the serial analysis's counts.
 */
export async function fileMetrics(file: SourceFile, phrases: string[], mapping: FieldMapping, tokenizer: Tokenizer | null,
  onBytes: (bytesDone: number) => void, signal?: AbortSignal, range?: { start: number; end: number }): Promise<FileMetrics> {
  const extractor = new RecordExtractor(mapping)
  const book = new StepMetricsBook(compileMatcher(phrases))
  const bad = new BadLines()
  let rollouts = 0
  let tokenRollouts = 0
  let lastLine = 0
  for await (const ev of scanFiles([file], { extractor, tokenizer, signal, range })) {
    if (ev.type === 'fileEnd') {
      lastLine = ev.lastLine
      continue
    }
    for (const row of ev.rows) book.add(row)
    rollouts += ev.rows.length
    for (const r of ev.rows) if (r.starts !== null) tokenRollouts++
    bad.add(ev.bad)
    onBytes(ev.bytesDone)
  }
  if (signal?.aborted) throw new Error('cancelled')
  return { states: book.states(), rollouts, tokenRollouts, bad, lastLine, mapping: extractor.resolved() }
}
