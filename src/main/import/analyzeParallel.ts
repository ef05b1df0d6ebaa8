import { Worker } from 'node:worker_threads'
import { EarlyWorkers } from './earlyWorkers'
import type { StepMetrics, StepMetricsState } from '../../core'
import { matcherFor } from './fileMetrics'
import { isGzipFile, lineRanges } from './lineChunks'
import { BadLines, type BadLine } from './scan'
import { StepMetricsBook, withRelativePerplexity, type StepRow } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'

/** One piece of work: a file, or a line-aligned byte range of a large plain one. */
export interface WorkUnit {
  file: SourceFile
  range?: { start: number; end: number }
  /** Bytes it covers. */
  bytes: number
}

interface Done {
  type: 'done'
  index: number
  states: { step: number; state: StepMetricsState }[]
  /** A closed unit's steps' metrics (its `states` then empty). */
  metrics?: { step: number; metrics: StepMetrics }[]
  rollouts: number
  tokenRollouts: number
  noOutcome: number
  bad: { first: BadLine[]; byKind: Record<string, number>; total: number }
  lastLine: number
  mapping: { record: FieldMapping; rollout: FieldMapping }
}
type Msg = { type: 'ready' } | Done | { type: 'error'; index: number; message: string }

/** What a worker is sent: a unit, with the shared slots where it writes each unit's bytes read. */
export type UnitMsg = { type: 'unit'; index: number; file: SourceFile; range?: { start: number; end: number }; progress: SharedArrayBuffer
  /** The unit is a whole file whose steps no other unit adds to: send their metrics, not their counts (fileMetrics' `closed`). */
  closed: boolean } | { type: 'end' }

/** Units a worker is sent beyond the one it reads (see analyzeParallel's feed). */
const AHEAD = 1

/** How often the bytes the workers have read are summed for onProgress. */
const PROGRESS_MS = 100

export interface ParallelResult {
  steps: StepRow[]
  rollouts: number
  tokenRollouts: number
  noOutcome: number
  bad: BadLines
  mapping: { record: FieldMapping; rollout: FieldMapping }
}

const workerUrl = new URL('./analyzeWorker.mjs', import.meta.url)

/** Plain files over twice this are cut into ranges of about this size, so one big file uses every thread. */
export const UNIT_BYTES = 32 << 20

/** Files in order, each large plain one as its ranges in order: merging in this order is reading serially. */
export async function workUnits(files: readonly SourceFile[], unitBytes = UNIT_BYTES): Promise<WorkUnit[]> {
  const units: WorkUnit[] = []
  for (const file of files) {
    // A gzip stream or a JSON document cannot be entered in the middle: such a file goes whole.
    if (file.container !== 'json' && file.size > 2 * unitBytes && !(await isGzipFile(file.path))) {
      for (const range of await lineRanges(file.path, file.size, Math.ceil(file.size / unitBytes))) units.push({ file, range, bytes: range.end - range.start })
    } else units.push({ file, bytes: file.size })
  }
  return units
}

/** Analysis workers, started before their work is known (EarlyWorkers; the 200 MB analysis's workers began their first unit 320 ms after the start when started after the listing). */
export class AnalysisWorkers extends EarlyWorkers<Msg> {
  constructor(n: number, phrases: string[], mapping: FieldMapping, tokenizerPath: string | null) {
    // A young generation of 32 MB: every line parsed is garbage at once, and with 8 MB the
    // scavenges cost ~10% of an analysis (analysis holds no rows, so memory stays small).
    super(n, () => new Worker(workerUrl, { workerData: { phrases, mapping, tokenizer: tokenizerPath }, resourceLimits: { maxYoungGenerationSizeMb: 32 } }))
  }
}

/**
 * Analyses work units on `threads` worker threads (or on `pool`'s, started earlier with the same
 * phrases, mapping and tokenizer), in reading order, all taking units from one queue; this thread
 * hands them out and merges. (It analysed units too until 2026-12-01: with the default young
 * generation its garbage collection took 12% of its time against a worker's 7%, and two workers
 * finished the 200 MB dump sooner in four alternating runs out of four, with less CPU.) Each
 * unit gives its steps' counts; they are merged in unit order, which is the order a serial
 * reading adds them, so steps that span files or ranges come out as one.
 *
 * Counts are kept until the end, as a serial reading keeps them: memory grows with the steps'
 * distinct continuations. Where each file holds its own step (`stepPerFile`: verl,
 * checkpoints), a file's steps are closed (their metrics computed, their counts dropped) once
 * its last unit is merged; should a later file bring one of them again, the answer is null and
 * the caller reads serially.
 */
export function analyzeParallel(units: readonly WorkUnit[], phrases: string[], mapping: FieldMapping,
  tokenizerPath: string | null, threads: number, onProgress?: (bytesDone: number) => void,
  signal?: AbortSignal, stepPerFile = false, pool?: AnalysisWorkers): Promise<ParallelResult | null> {
  // Handed out in reading order, so results merge (and free their counts) about as soon as they
  // arrive; units are at most UNIT_BYTES or one file, so the threads still end close together.
  const order = units.map((_, i) => i)
  const merged = new Merged(units, phrases, stepPerFile)
  // Each unit's bytes read, written by the workers and summed here on a timer. (A message per 1 MB
  // read woke this thread ~10 times a unit; on two busy cores each wake-up took a core from a worker.)
  const progress = new BigInt64Array(new SharedArrayBuffer(8 * units.length))
  const workers = pool ?? new AnalysisWorkers(Math.min(threads, units.length), phrases, mapping, tokenizerPath)
  const label = (i: number) => units[i]!.file.path
  return new Promise<ParallelResult | null>((resolve, reject) => {
    let next = 0
    let failed = false
    let lastReported = -1
    const report = () => {
      if (!onProgress) return
      let s = 0
      for (let i = 0; i < progress.length; i++) s += Number(Atomics.load(progress, i))
      if (s !== lastReported) onProgress(s)
      lastReported = s
    }
    const timer = onProgress ? setInterval(report, PROGRESS_MS) : null
    const finish = () => {
      if (timer) clearInterval(timer)
      workers.terminate()
    }
    const fail = (e: Error) => {
      if (failed) return
      failed = true
      finish()
      reject(e)
    }
    const done = (m: Done) => {
      try {
        merged.offer(m)
      } catch (e) {
        fail(e as Error)
        return
      }
      if (merged.complete) {
        report()
        finish()
        resolve(merged.result())
      }
    }
    signal?.addEventListener('abort', () => fail(new Error('cancelled')), { once: true })
    // Units sent to each worker and not done yet. A worker holds one unit more than the one it
    // reads, so it goes on at once when it ends one, without waiting for this thread to be given a
    // core to answer (on two busy cores, 4-7 ms a unit). While fewer units are left than workers
    // have, none is sent ahead: the last ones go to whichever worker is free.
    const sent = new Map<Worker, number>()
    const feed = (w: Worker) => {
      for (;;) {
        const n = sent.get(w) ?? 0
        if (next >= order.length) {
          if (n === 0) w.postMessage({ type: 'end' } satisfies UnitMsg)
          return
        }
        if (n >= (order.length - next > workers.workers.length ? AHEAD + 1 : 1)) return
        const index = order[next++]!
        sent.set(w, n + 1)
        const u = units[index]!
        // Steps are closed at the end of their file where each file holds its own (stepPerFile), so a
        // whole file's counts are never merged with another unit's: its worker sends the metrics.
        w.postMessage({ type: 'unit', index, file: u.file, range: u.range, progress: progress.buffer as SharedArrayBuffer, closed: stepPerFile && !u.range } satisfies UnitMsg)
      }
    }
    workers.attach((w, m) => {
      if (failed) return
      if (m.type === 'ready') feed(w)
      else if (m.type === 'error') fail(new Error(`${label(m.index)}: ${m.message}`))
      else {
        sent.set(w, sent.get(w)! - 1)
        // The next unit first: merging takes this thread a while.
        feed(w)
        done(m)
      }
    }, fail)
  })
}

/**
 * Units' results merged in unit order (the order a serial reading adds them). A result waits
 * until every unit before it is in, then merges and is dropped: memory holds the units done out
 * of order, not every unit of a file of many gigabytes.
 */
class Merged {
  private next = 0
  private readonly waiting = new Map<number, Done>()
  // Made with the first counts to merge: where every unit is a whole file of its own steps (verl,
  // checkpoints), the workers send metrics and this thread never compiles the SG set, which took
  // it ~11 ms (more on busy cores) before it handed out the first units.
  private book: StepMetricsBook | null = null
  private readonly closed = new Map<number, StepMetrics>()
  private collided = false
  private readonly bad = new BadLines()
  private rollouts = 0
  private tokenRollouts = 0
  private noOutcome = 0
  // A range's line numbers count from its start: add the lines of the file's ranges before it.
  private lineBase = 0
  private mapping: Done['mapping'] | null = null

  constructor(private readonly units: readonly WorkUnit[], private readonly phrases: string[], private readonly stepPerFile: boolean) {}

  private counts(): StepMetricsBook {
    return (this.book ??= new StepMetricsBook(matcherFor(this.phrases)))
  }

  get complete(): boolean {
    return this.next === this.units.length
  }

  offer(r: Done): void {
    this.waiting.set(r.index, r)
    for (let w = this.waiting.get(this.next); w; w = this.waiting.get(this.next)) {
      this.waiting.delete(this.next)
      this.add(w)
    }
  }

  private add(r: Done): void {
    const i = this.next++
    for (const s of r.states) {
      if (this.closed.has(s.step)) this.collided = true
      else this.counts().mergeState(s.step, s.state)
    }
    // A closed unit is a whole file, merged when the book holds no other file's steps (each file's
    // are closed at its end): its metrics are those rawResults would give from its counts.
    for (const m of r.metrics ?? []) {
      if (this.closed.has(m.step)) this.collided = true
      else this.closed.set(m.step, m.metrics)
    }
    this.rollouts += r.rollouts
    this.tokenRollouts += r.tokenRollouts
    this.noOutcome += r.noOutcome
    this.mapping ??= r.mapping
    // In unit order, the first 100 problems are the first ones met reading the files in order.
    const bad = this.bad
    bad.add(this.lineBase === 0 ? r.bad.first : r.bad.first.map((b) => ({ ...b, line: b.line + this.lineBase })))
    bad.total += r.bad.total - r.bad.first.length
    for (const [k, n] of Object.entries(r.bad.byKind)) {
      const listed = r.bad.first.filter((b) => b.kind === k).length
      bad.byKind[k] = (bad.byKind[k] ?? 0) + n - listed
    }
    const fileDone = this.next === this.units.length || this.units[this.next]!.file !== this.units[i]!.file
    this.lineBase = fileDone ? 0 : this.lineBase + r.lastLine
    if (this.stepPerFile && fileDone && this.book) {
      for (const { step, metrics } of this.book.rawResults()) this.closed.set(step, metrics)
      this.book = null
    }
  }

  /** null: a closed step came back in a later file. */
  result(): ParallelResult | null {
    if (this.collided) return null
    const steps = [...this.closed].map(([step, metrics]) => ({ step, metrics })).concat(this.book?.rawResults() ?? []).sort((a, b) => a.step - b.step)
    return { steps: withRelativePerplexity(steps), rollouts: this.rollouts, tokenRollouts: this.tokenRollouts, noOutcome: this.noOutcome, bad: this.bad, mapping: this.mapping! }
  }
}
