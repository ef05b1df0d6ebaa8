import { availableParallelism } from 'node:os'
import { AnalysisWorkers, analyzeParallel, workUnits } from './analyzeParallel'
import { tally } from './fileMetrics'
import type { BadLines } from './scan'
import type { StepRow } from './stepMetrics'
import type { Tokenizer } from '@huggingface/tokenizers'
import { listSources, type ImportFormat } from './sources'
import { roughBytes } from './roughBytes'
import type { FieldMapping } from './mapping'

export interface AnalyzeOptions {
  paths: string[]
  format?: ImportFormat
  mapping?: FieldMapping
  phrases: string[]
  tokenizer?: Tokenizer | null
  /** The tokenizer's file, for worker threads (each loads its own). */
  tokenizerPath?: string | null
  /** Threads (worker threads, or this one alone when 1); default: one per core, up to 8, for inputs over 32 MB (a large plain file is cut into ranges). */
  threads?: number
  /** Plain files over twice this are cut into ranges of about this size for the threads (default UNIT_BYTES, 32 MB). */
  unitBytes?: number
  signal?: AbortSignal
  onProgress?: (bytesDone: number, bytesTotal: number, rollouts: number) => void
  /** Hears how many worker threads are about to start, just before they do (not called for a serial reading). */
  onWorkers?: (count: number) => void
}

export interface AnalyzeResult {
  format: ImportFormat
  steps: StepRow[]
  rollouts: number
  /** Rollouts with token spans (their length counts tokens, the others' words). */
  tokenRollouts: number
  /** Rollouts without an outcome (no correct, no score): outside accuracy and pass@k. */
  noOutcome: number
  bytes: number
  bad: BadLines
  notes: string[]
  /** How the records are laid out (JSON Lines, a JSON array…). */
  layout: string
  mapping: { record: FieldMapping; rollout: FieldMapping }
}

/** Inputs over this are analysed on worker threads by default: one per core, up to 8. */
const PARALLEL_BYTES = 32e6
const defaultThreads = (bytes: number) => (bytes > PARALLEL_BYTES ? Math.min(8, availableParallelism()) : 1)

/** SPEC §4 metrics per step of rollout files, without a workspace (`hicra analyze`). */
export async function analyzeFiles(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const parallelOk = !opts.tokenizer || opts.tokenizerPath
  // Workers boot while the sources are listed, where the paths' sizes already promise they will
  // work. (More workers than units is harmless: the extra ones are told the work has ended.)
  const guess = opts.threads ?? defaultThreads((await roughBytes(opts.paths, PARALLEL_BYTES)).bytes)
  const startWorkers = (n: number) => {
    opts.onWorkers?.(n)
    return new AnalysisWorkers(n, opts.phrases, opts.mapping ?? {}, opts.tokenizerPath ?? null)
  }
  let pool = guess > 1 && parallelOk ? startWorkers(guess) : null
  try {
    const src = await listSources(opts.paths, opts.format, opts.mapping)
    const total = src.files.reduce((s, f) => s + f.size, 0)
    const threads = opts.threads ?? defaultThreads(total)
    if (threads > 1 && parallelOk) {
      const units = await workUnits(src.files, opts.unitBytes)
      if (units.length > 1) {
        // The pool where the guess was right, else workers of the right number (analyzeParallel ends them).
        if (pool && pool.workers.length !== threads) pool.terminate()
        const workers = pool?.workers.length === threads ? pool : startWorkers(Math.min(threads, units.length))
        pool = null
        const r = await analyzeParallel(units, opts.phrases, opts.mapping ?? {}, opts.tokenizerPath ?? null, threads, (b) => opts.onProgress?.(b, total, 0), opts.signal,
          src.format !== 'jsonl', workers)
        // null: a step came back in a later verl or checkpoint file; read serially instead.
        if (r) return { format: src.format, steps: r.steps, rollouts: r.rollouts, tokenRollouts: r.tokenRollouts, noOutcome: r.noOutcome, bytes: total, bad: r.bad, notes: src.notes, layout: src.layout, mapping: r.mapping }
      }
    }
    // Read serially: workers booted for nothing are let go first.
    pool?.terminate()
    pool = null
    const t = await tally(src.files, opts.phrases, opts.mapping ?? {}, opts.tokenizer ?? null, (bytes, rollouts) => opts.onProgress?.(bytes, total, rollouts), opts.signal)
    return { format: src.format, steps: t.book.results(), rollouts: t.rollouts, tokenRollouts: t.tokenRollouts, noOutcome: t.noOutcome, bytes: total, bad: t.bad, notes: src.notes, layout: src.layout, mapping: t.mapping }
  } finally {
    pool?.terminate()
  }
}
