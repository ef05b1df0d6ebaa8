import { compileMatcher, type StepMetrics } from '../../core'
import type { Tokenizer } from '@huggingface/tokenizers'
import { RecordExtractor } from './records'
import { BadLines, scanFiles } from './scan'
import { StepMetricsBook } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'

/** What one file contributes to an analysis: its steps' metrics (before relative perplexity). */
export interface FileMetrics {
  steps: { step: number; metrics: StepMetrics }[]
  rollouts: number
  /** Rollouts with token spans (their length counts tokens, the others' words). */
  tokenRollouts: number
  bad: BadLines
  mapping: { record: FieldMapping; rollout: FieldMapping }
}

/**
 * The metrics of one file's steps on their own. Used by the analysis workers: when no step spans
 * two files (verl, checkpoints), the per-file results are the per-step results.
 */
export async function fileMetrics(file: SourceFile, phrases: string[], mapping: FieldMapping, tokenizer: Tokenizer | null,
  onBytes: (bytesDone: number) => void, signal?: AbortSignal): Promise<FileMetrics> {
  const extractor = new RecordExtractor(mapping)
  const book = new StepMetricsBook(compileMatcher(phrases))
  const bad = new BadLines()
  let rollouts = 0
  let tokenRollouts = 0
  for await (const ev of scanFiles([file], { extractor, tokenizer, signal })) {
    if (ev.type !== 'batch') continue
    for (const row of ev.rows) book.add(row)
    rollouts += ev.rows.length
    for (const r of ev.rows) if (r.starts !== null) tokenRollouts++
    bad.add(ev.bad)
    onBytes(ev.bytesDone)
  }
  if (signal?.aborted) throw new Error('cancelled')
  return { steps: book.rawResults(), rollouts, tokenRollouts, bad, mapping: extractor.resolved() }
}
