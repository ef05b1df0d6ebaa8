import { Worker } from 'node:worker_threads'
import type { Tokenizer } from '@huggingface/tokenizers'
import type { StepMetrics } from '../../core'
import { fileMetrics } from './fileMetrics'
import { BadLines, type BadLine } from './scan'
import { withRelativePerplexity, type StepRow } from './stepMetrics'
import type { FieldMapping } from './mapping'
import type { SourceFile } from './sources'

interface Done {
  type: 'done'
  index: number
  steps: { step: number; metrics: StepMetrics }[]
  rollouts: number
  tokenRollouts: number
  bad: { first: BadLine[]; byKind: Record<string, number>; total: number }
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

/**
 * Analyses files on `threads` threads, a file at a time (largest first): this thread and
 * `threads - 1` worker threads, all taking files from one queue. (This thread works too: it
 * would only wait otherwise, and on two cores one worker's start-up, about half a second of
 * compiling, is time this thread spends on the first file.) Each file's steps are computed on
 * their own, so the result is exact only when no step spans two files: then it returns the
 * merged steps; otherwise null, and the caller analyses serially.
 */
export function analyzeParallel(files: readonly SourceFile[], phrases: string[], mapping: FieldMapping,
  tokenizer: { path: string; loaded: Tokenizer } | null, threads: number, onProgress?: (bytesDone: number) => void,
  signal?: AbortSignal): Promise<ParallelResult | null> {
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size)
  const results: (Done | undefined)[] = new Array(files.length)
  const progress = new Float64Array(files.length)
  const workers: Worker[] = []
  return new Promise<ParallelResult | null>((resolve, reject) => {
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
      if (finished === files.length) {
        stop()
        resolve(merge(results as Done[]))
      }
    }
    signal?.addEventListener('abort', () => fail(new Error('cancelled')), { once: true })
    const feed = (w: Worker) => {
      if (next < order.length) {
        const index = order[next++]!
        w.postMessage({ type: 'file', index, file: files[index] })
      } else w.postMessage({ type: 'end' })
    }
    for (let t = 0; t < Math.min(threads - 1, files.length - 1); t++) {
      // A young generation of 32 MB: every line parsed is garbage at once, and with 8 MB the
      // scavenges cost ~10% of an analysis (analysis holds no rows, so memory stays small).
      const w = new Worker(workerUrl, { workerData: { phrases, mapping, tokenizer: tokenizer?.path ?? null }, resourceLimits: { maxYoungGenerationSizeMb: 32 } })
      workers.push(w)
      w.on('error', fail)
      w.on('message', (m: Msg) => {
        if (failed) return
        if (m.type === 'ready') feed(w)
        else if (m.type === 'progress') report(m.index, m.bytes)
        else if (m.type === 'error') fail(new Error(`${files[m.index]!.path}: ${m.message}`))
        else {
          done(m)
          if (finished < files.length) feed(w)
        }
      })
    }
    // This thread's share: files from the same queue until it is empty.
    void (async () => {
      while (!failed && next < order.length) {
        const index = order[next++]!
        try {
          const r = await fileMetrics(files[index]!, phrases, mapping, tokenizer?.loaded ?? null, (bytes) => report(index, bytes), signal)
          if (failed) return
          done({ type: 'done', index, steps: r.steps, rollouts: r.rollouts, tokenRollouts: r.tokenRollouts, bad: { first: r.bad.first, byKind: r.bad.byKind, total: r.bad.total }, mapping: r.mapping })
        } catch (e) {
          fail(new Error(`${files[index]!.path}: ${(e as Error).message}`))
        }
      }
    })()
  })
}

function merge(results: Done[]): ParallelResult | null {
  const all: { step: number; metrics: StepMetrics }[] = []
  const seen = new Set<number>()
  const bad = new BadLines()
  let rollouts = 0
  let tokenRollouts = 0
  for (const r of results) {
    for (const s of r.steps) {
      if (seen.has(s.step)) return null
      seen.add(s.step)
      all.push(s)
    }
    rollouts += r.rollouts
    tokenRollouts += r.tokenRollouts
    // Files in order: the first 100 problems are the first ones met reading the files in order.
    bad.add(r.bad.first)
    bad.total += r.bad.total - r.bad.first.length
    for (const [k, n] of Object.entries(r.bad.byKind)) {
      const listed = r.bad.first.filter((b) => b.kind === k).length
      bad.byKind[k] = (bad.byKind[k] ?? 0) + n - listed
    }
  }
  all.sort((a, b) => a.step - b.step)
  return { steps: withRelativePerplexity(all), rollouts, tokenRollouts, bad, mapping: results[0]!.mapping }
}
