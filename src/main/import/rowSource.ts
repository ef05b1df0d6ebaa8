import { Worker } from 'node:worker_threads'
import { EarlyWorkers } from './earlyWorkers'
import { planningMask, type SgMatcher, type StepMetrics } from '../../core'
import { matcherFor } from './fileMetrics'
import type { Tokenizer } from '@huggingface/tokenizers'
import type { NewRollout } from '../store/rollouts'
import { packBuffer, RolloutPacker, type PackedRollouts } from '../store/packedRollouts'
import { RecordExtractor } from './records'
import { scanFiles, type BadLine, type Row } from './scan'
import { StepMetricsBook } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'
import { noteLatest } from './stepTimes'

/** What an import writes, produced on this thread or on worker threads. */
export type RowEvent =
  /**
   * A chunk's rows: as objects on this thread, packed (packedRollouts.ts) from a worker. `chars`: their
   * responses' length; `withTokens`: rows with token data; `noOutcome`: rows with neither score nor correct.
   */
  | { type: 'rows'; file: number; rows: NewRollout[] | PackedRollouts; n: number; chars: number; withTokens: number; noOutcome: number
      labels: (string | null)[]; bad: BadLine[]; bytes: number
      /** Call once the rows are written: hands a pack's buffer back to its worker (the pack is unusable after). */
      release?: () => void }
  | { type: 'fileEnd'; file: number; hash: string; lines: number; rows: number; skipped: number; invalidUtf8?: { lines: number; first: number } }
  /**
   * Each step's metrics on their own (no relative perplexity yet); `spanning`: steps found in files
   * read on different threads, whose entry covers one file only (recompute them from the stored rows).
   */
  | { type: 'end'; steps: RawStep[]; spanning: number[]; mapping: { record: FieldMapping; rollout: FieldMapping }
      /** Step → the latest time its records carry (ms), for the steps whose records have one. */
      times: [number, number][] }

export type RawStep = { step: number; metrics: StepMetrics }

/** A stored rollout from an aligned one: its planning mask over tokens and its has-SG flag. */
export function toNewRollout(a: Row, occurrences: number, matcher: SgMatcher): NewRollout {
  const r = a.rec
  const mask = a.starts && a.ends ? planningMask(a.starts, a.ends, occurrences > 0 ? matcher.findOccurrences(r.response) : []) : null
  return {
    step: r.step, promptId: r.promptId, prompt: r.prompt, response: r.response, score: r.score, correct: r.correct,
    answer: r.answer, gold: r.gold, nTokens: a.nTokens, tokenStarts: a.starts, tokenEnds: a.ends,
    logprobs: a.logprobs, entropies: a.entropies, planningMask: mask, hasSg: occurrences > 0, extra: r.extra
  }
}

/**
 * Reads files in order on this thread, each scanned chunk becoming one `rows` event; `bytes` is
 * the bytes read so far over all files. With `perFileSteps`, each file's step metrics are kept
 * apart and returned raw (a worker's job); otherwise all files feed one book. With `pack` (a
 * worker's, handing out the buffers the writer gave back), each row is packed as its line is read
 * and the events carry the packs (packedRollouts.ts): a row is garbage before the next line instead
 * of living through the chunk's collections.
 */
export async function* readRows(files: readonly SourceFile[], phrases: string[], mapping: FieldMapping, tokenizer: Tokenizer | null,
  signal?: AbortSignal, fileIndex?: (i: number) => number, pack?: () => ArrayBuffer | null | undefined):
  AsyncGenerator<RowEvent | { type: 'fileSteps'; file: number; steps: { step: number; metrics: StepMetrics }[] }> {
  const matcher = matcherFor(phrases)
  let book = new StepMetricsBook(matcher)
  const extractor = new RecordExtractor(mapping)
  const index = new Map(files.map((f, i) => [f, i]))
  const idx = (f: SourceFile) => (fileIndex ? fileIndex(index.get(f)!) : index.get(f)!)
  const packer = pack ? new RolloutPacker(pack) : null
  let labels: (string | null)[] = []
  let chars = 0
  let withTokens = 0
  let noOutcome = 0
  const take = (a: Row): NewRollout => {
    const r = toNewRollout(a, book.add(a), matcher)
    labels.push(a.rec.errorType)
    chars += r.response.length
    if (r.nTokens !== null) withTokens++
    if (r.score === null && r.correct === null) noOutcome++
    return r
  }
  const onRow = packer ? { row: (a: Row) => packer.add(take(a)) } : undefined
  for await (const ev of scanFiles(files, { extractor, tokenizer, signal, hash: true, onRow })) {
    if (ev.type === 'batch') {
      const rows = packer ? packer.finish() : ev.rows.map(take)
      yield { type: 'rows', file: idx(ev.file), rows, n: labels.length, chars, withTokens, noOutcome, labels, bad: ev.bad, bytes: ev.bytesDone }
      labels = []
      chars = 0
      withTokens = 0
      noOutcome = 0
    } else {
      yield { type: 'fileEnd', file: idx(ev.file), hash: ev.hash, lines: ev.lines, rows: ev.rows, skipped: ev.skipped, invalidUtf8: ev.invalidUtf8 }
      if (fileIndex) {
        yield { type: 'fileSteps', file: idx(ev.file), steps: book.rawResults() }
        book = new StepMetricsBook(matcher)
      }
    }
  }
  yield { type: 'end', steps: fileIndex ? [] : book.rawResults(), spanning: [], mapping: extractor.resolved(), times: [...extractor.times] }
}

const workerUrl = new URL('./importWorker.mjs', import.meta.url)
/**
 * Batches a worker may have in flight before it waits for the writer (bounds memory). The writer
 * takes batches only between its synchronous transactions, and with 2 a worker waited ~20% of a
 * 1 GB import for it; 4 took 16.1–17.8 s against 16.4–17.7 s in six alternating pairs (medians
 * 16.6 and 16.9 against 17.1 and 17.6 s, load 0.3–2.8), peak RSS 322–338 MB against 327–349 MB.
 */
export const CREDITS = 4
const WORKER_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 16 }

type WorkerMsg =
  | { type: 'ready' }
  | (RowEvent & { type: 'rows' })
  | (RowEvent & { type: 'fileEnd' })
  | { type: 'fileSteps'; file: number; steps: { step: number; metrics: StepMetrics }[] }
  | { type: 'end'; mapping: { record: FieldMapping; rollout: FieldMapping }; times: [number, number][] }
  | { type: 'error'; message: string }

/** Import workers, started before their files are known (EarlyWorkers). */
export class ImportWorkers extends EarlyWorkers<WorkerMsg> {
  constructor(n: number, phrases: string[], mapping: FieldMapping, tokenizerPath: string | null) {
    // Small heaps: each worker holds one chunk at a time, and a low limit makes V8 collect early
    // instead of growing every thread's heap (peak RSS is the sum over threads). A young generation
    // of 16 MB, not 8: with 8 the scavenges took 13% of a worker's time (profiled); 32 saved no more
    // and added ~50 MB of peak RSS.
    super(n, () => new Worker(workerUrl, { workerData: { phrases, mapping, tokenizer: tokenizerPath, credits: CREDITS }, resourceLimits: WORKER_LIMITS }))
  }
}

/**
 * The same events from `threads` worker threads (or `pool`'s, started earlier with the same phrases,
 * mapping and tokenizer, one per file at most), a file at a time each (largest first): parsing,
 * matching and step metrics run beside the thread that writes SQLite. `bytes` in `rows` events is
 * the total over all files. Step metrics are exact per file; when a step turns out to span two
 * files, `end` carries null and the caller computes the metrics from the stored rows.
 */
export async function* readRowsParallel(files: readonly SourceFile[], phrases: string[], mapping: FieldMapping, tokenizerPath: string | null,
  threads: number, signal?: AbortSignal, pool?: ImportWorkers): AsyncGenerator<RowEvent> {
  const queue: WorkerMsg[] = []
  let wake: (() => void) | null = null
  const push = (m: WorkerMsg) => {
    queue.push(m)
    wake?.()
  }
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size)
  let next = 0
  const workers = pool ?? new ImportWorkers(Math.min(threads, files.length), phrases, mapping, tokenizerPath)
  const nWorkers = workers.workers.length
  let ended = 0
  let error: Error | null = null
  const progress = new Float64Array(files.length)
  const feed = (w: Worker) => {
    if (next < order.length) {
      const i = order[next++]!
      w.postMessage({ type: 'file', index: i, file: files[i] })
    } else w.postMessage({ type: 'end' })
  }
  const owner = new Map<number, Worker>()
  workers.attach((w, m) => {
    if (m.type === 'ready') feed(w)
    else {
      if (m.type === 'rows') owner.set(m.file, w)
      push(m)
      if (m.type === 'fileSteps') feed(w)
    }
  }, (e) => {
    error = e
    wake?.()
  })
  const abort = () => {
    error = error ?? new Error('cancelled')
    wake?.()
  }
  signal?.addEventListener('abort', abort, { once: true })
  const steps = new Map<number, StepMetrics>()
  const spanning = new Set<number>()
  let mapping0: { record: FieldMapping; rollout: FieldMapping } | null = null
  const times = new Map<number, number>()
  try {
    while (ended < nWorkers) {
      if (error) throw error
      const m = queue.shift()
      if (!m) {
        await new Promise<void>((r) => (wake = r))
        wake = null
        continue
      }
      if (m.type === 'error') throw new Error(m.message)
      if (m.type === 'end') {
        ended++
        mapping0 = mapping0 ?? m.mapping
        for (const [step, t] of m.times) noteLatest(times, step, t)
      } else if (m.type === 'fileSteps') {
        for (const s of m.steps) {
          if (steps.has(s.step)) spanning.add(s.step)
          steps.set(s.step, s.metrics)
        }
      } else if (m.type === 'rows') {
        progress[m.file] = m.bytes
        let sum = 0
        for (let i = 0; i < progress.length; i++) sum += progress[i]!
        const w = owner.get(m.file)!
        const release = () => {
          const buffer = packBuffer(m.rows as PackedRollouts)
          w.postMessage({ type: 'buffer', buffer }, [buffer])
        }
        // The writer takes this batch: the worker gets its credit back now, not after the writer's
        // loop is done with it, which may be a transaction of several batches (the worker went without
        // that credit for the whole write).
        w.postMessage({ type: 'ack' })
        yield { ...m, bytes: sum, release }
      } else if (m.type === 'fileEnd') yield m
    }
  } finally {
    signal?.removeEventListener('abort', abort)
    workers.terminate()
  }
  const sorted = [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([step, metrics]) => ({ step, metrics }))
  yield { type: 'end', steps: sorted, spanning: [...spanning], mapping: mapping0 ?? { record: mapping, rollout: {} }, times: [...times] }
}
