import { Worker } from 'node:worker_threads'
import type { Tokenizer } from '@huggingface/tokenizers'
import { compileMatcher, type StepMetricsState } from '../../core'
import { fileMetrics } from './fileMetrics'
import { isGzipFile, lineRanges } from './lineChunks'
import { BadLines, type BadLine } from './scan'
import { StepMetricsBook, type StepRow } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'

/** One piece of work: a file, or a line-aligned byte range of a large plain one. */
export interface WorkUnit {
  file: SourceFile
  range?: { start: number; end: number }
  /** Bytes it covers (for progress and for handing out the largest first). */
  bytes: number
}

interface Done {
  type: 'done'
  index: number
  states: { step: number; state: StepMetricsState }[]
  rollouts: number
  tokenRollouts: number
  bad: { first: BadLine[]; byKind: Record<string, number>; total: number }
  lastLine: number
  mapping: { record: FieldMapping; rollout: FieldMapping }
}
type Msg = { type: 'ready' } | { type: 'progress'; index: number; bytes: number } | Done | { type: 'error'; index: number; message: string }

export interface ParallelResult {
  steps: StepRow[]
  rollouts: number
  tokenRollouts: number
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
    // A gzip stream cannot be entered in the middle: such a file goes whole.
    if (file.size > 2 * unitBytes && !(await isGzipFile(file.path))) {
      for (const range of await lineRanges(file.path, file.size, Math.ceil(file.size / unitBytes))) units.push({ file, range, bytes: range.end - range.start })
    } else units.push({ file, bytes: file.size })
  }
  return units
}

/**
 * Analyses work units on `threads` threads, largest first: this thread and `threads - 1` worker
 * threads, all taking units from one queue. (This thread works too: it would only wait
 * otherwise, and on two cores one worker's start-up is time this thread spends on the first
 * unit.) Each unit gives its steps' counts; they are merged in unit order, which is the order a
 * serial reading adds them, so steps that span files or ranges come out as one.
 */
export function analyzeParallel(units: readonly WorkUnit[], phrases: string[], mapping: FieldMapping,
  tokenizer: { path: string; loaded: Tokenizer } | null, threads: number, onProgress?: (bytesDone: number) => void,
  signal?: AbortSignal): Promise<ParallelResult> {
  const order = units.map((_, i) => i).sort((a, b) => units[b]!.bytes - units[a]!.bytes)
  const results: (Done | undefined)[] = new Array(units.length)
  const progress = new Float64Array(units.length)
  const workers: Worker[] = []
  const label = (i: number) => units[i]!.file.path
  return new Promise<ParallelResult>((resolve, reject) => {
    let next = 0
    let finished = 0
    let failed = false
    const stop = () => {
      for (const w of workers) void w.terminate()
    }
    const fail = (e: Error) => {
      if (failed) return
      failed = true
      stop()
      reject(e)
    }
    const report = (index: number, bytes: number) => {
      progress[index] = bytes
      if (onProgress) {
        let s = 0
        for (let i = 0; i < progress.length; i++) s += progress[i]!
        onProgress(s)
      }
    }
    const done = (m: Done) => {
      results[m.index] = m
      finished++
      if (finished === units.length) {
        stop()
        try {
          resolve(merge(units, results as Done[], phrases))
        } catch (e) {
          reject(e as Error)
        }
      }
    }
    signal?.addEventListener('abort', () => fail(new Error('cancelled')), { once: true })
    const feed = (w: Worker) => {
      if (next < order.length) {
        const index = order[next++]!
        w.postMessage({ type: 'unit', index, file: units[index]!.file, range: units[index]!.range })
      } else w.postMessage({ type: 'end' })
    }
    for (let t = 0; t < Math.min(threads - 1, units.length - 1); t++) {
      // A young generation of 32 MB: every line parsed is garbage at once, and with 8 MB the
      // scavenges cost ~10% of an analysis (analysis holds no rows, so memory stays small).
      const w = new Worker(workerUrl, { workerData: { phrases, mapping, tokenizer: tokenizer?.path ?? null }, resourceLimits: { maxYoungGenerationSizeMb: 32 } })
      workers.push(w)
      w.on('error', fail)
      w.on('message', (m: Msg) => {
        if (failed) return
        if (m.type === 'ready') feed(w)
        else if (m.type === 'progress') report(m.index, m.bytes)
        else if (m.type === 'error') fail(new Error(`${label(m.index)}: ${m.message}`))
        else {
          done(m)
          if (finished < units.length) feed(w)
        }
      })
    }
    // This thread's share: units from the same queue until it is empty.
    void (async () => {
      while (!failed && next < order.length) {
        const index = order[next++]!
        const u = units[index]!
        try {
          const r = await fileMetrics(u.file, phrases, mapping, tokenizer?.loaded ?? null, (bytes) => report(index, bytes), signal, u.range)
          if (failed) return
          done({ type: 'done', index, states: r.states, rollouts: r.rollouts, tokenRollouts: r.tokenRollouts,
            bad: { first: r.bad.first, byKind: r.bad.byKind, total: r.bad.total }, lastLine: r.lastLine, mapping: r.mapping })
        } catch (e) {
          fail(new Error(`${label(index)}: ${(e as Error).message}`))
        }
      }
    })()
  })
}

function merge(units: readonly WorkUnit[], results: readonly Done[], phrases: string[]): ParallelResult {
  const book = new StepMetricsBook(compileMatcher(phrases))
  const bad = new BadLines()
  let rollouts = 0
  let tokenRollouts = 0
  // A range's line numbers count from its start: add the lines of the file's ranges before it.
  let lineBase = 0
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!
    if (i > 0 && units[i]!.file !== units[i - 1]!.file) lineBase = 0
    for (const s of r.states) book.mergeState(s.step, s.state)
    rollouts += r.rollouts
    tokenRollouts += r.tokenRollouts
    // Units in order: the first 100 problems are the first ones met reading the files in order.
    bad.add(lineBase === 0 ? r.bad.first : r.bad.first.map((b) => ({ ...b, line: b.line + lineBase })))
    bad.total += r.bad.total - r.bad.first.length
    for (const [k, n] of Object.entries(r.bad.byKind)) {
      const listed = r.bad.first.filter((b) => b.kind === k).length
      bad.byKind[k] = (bad.byKind[k] ?? 0) + n - listed
    }
    lineBase += r.lastLine
  }
  return { steps: book.results(), rollouts, tokenRollouts, bad, mapping: results[0]!.mapping }
}
