import { statSync } from 'node:fs'
import type { ImportFormat } from '../../shared/api/import'

// Wall times for an import's steps. Records that carry a time (the `timestamp` field) give each
// step its latest record's. Failing that, where each step is its own file (a verl folder of
// <step>.jsonl, one file per checkpoint) the file's modification time is when the trainer wrote
// it, and so stands in for the step's time. Otherwise every point keeps the time of the import,
// and the run page turns its time axes off, saying why (runs/get `timeNote`).

export interface StepTimes {
  /** Step → wall time (ms), or null when the files give no usable times. */
  times: Map<number, number> | null
  /** One line for the import summary: where the times came from, or why there are none. */
  note: string
  /** Where the times came from: the records' timestamps, the files' modification times, or nowhere. */
  from: 'records' | 'files' | 'none'
  /** With none: why, in words (the note adds what follows: the time axes are off). */
  why?: string
}

/** Keeps the latest time of each step (a step is done when its last record is). */
export function noteLatest(times: Map<number, number>, step: number, t: number): void {
  const had = times.get(step)
  if (had === undefined || t > had) times.set(step, t)
}

/**
 * The steps' times from their records' timestamps (`recordTimes`: step → latest), else from the
 * files. Used only when every step has one and they grow with the step: a timeline with holes or
 * going back would draw points where they were not; then the files' times are tried, and the note
 * says why the records' were not used.
 */
export function chooseStepTimes(format: ImportFormat, files: readonly { path: string; stepHint: number | null }[],
  recordTimes: ReadonlyMap<number, number>, steps: readonly number[], field: string | undefined): StepTimes {
  if (recordTimes.size === 0 || steps.length === 0) return stepTimesFromFiles(format, files)
  const name = `"${field ?? 'timestamp'}"`
  const sorted = [...steps].sort((a, b) => a - b)
  const missing = sorted.filter((s) => !recordTimes.has(s))
  let why: string | null = null
  if (missing.length > 0) {
    why = `${missing.length} of ${sorted.length} steps have no record with a ${name} (the first: step ${missing[0]})`
  } else {
    for (let i = 1; i < sorted.length && why === null; i++) {
      const a = recordTimes.get(sorted[i - 1]!)!
      const b = recordTimes.get(sorted[i]!)!
      if (b < a) why = `they do not grow with the step (step ${sorted[i]} at ${iso(b)}, before step ${sorted[i - 1]} at ${iso(a)})`
    }
    if (why === null && sorted.length > 1 && recordTimes.get(sorted[0]!) === recordTimes.get(sorted[sorted.length - 1]!)) {
      why = `every step's is the same (${iso(recordTimes.get(sorted[0]!)!)})`
    }
  }
  if (why !== null) {
    const f = stepTimesFromFiles(format, files)
    const unused = `the records' ${name} times were not used: ${why}`
    return { ...f, note: `${unused}; ${f.note}`, ...(f.why !== undefined ? { why: `${unused}; ${f.why}` } : {}) }
  }
  const times = new Map(sorted.map((s) => [s, recordTimes.get(s)!]))
  const span = times.get(sorted[sorted.length - 1]!)! - times.get(sorted[0]!)!
  return { times, from: 'records', note: `wall times: each step's latest record time (field ${name}, ${sorted.length} step${sorted.length === 1 ? '' : 's'}, ` +
    `${formatSpan(span)} from first to last; these take precedence over the files' times)` }
}

const iso = (ms: number) => new Date(ms).toISOString()

const NONE = 'the records carry no timestamp and the files no time of their own'
const OFF = ': every step holds the time of the import, so relative and wall time are off for this run'

/**
 * Why a stored import's steps have no times, from its summary's wallTimes: its `why`, or for an
 * import summed up before `why` was kept, its note less the consequence (every such note ends so);
 * undefined where the import had times or said nothing.
 */
export function whyNoTimes(w: { from: string; note: string; why?: string } | undefined): string | undefined {
  if (w?.from !== 'none') return undefined
  return w.why ?? (w.note.endsWith(OFF) ? w.note.slice(0, -OFF.length) : undefined)
}

/**
 * File times stand in only when they can mean the training's pace: one file per step, and times
 * that grow with the step and are not all within one second (files copied without their times
 * would all read "now", which is no timeline).
 */
export function stepTimesFromFiles(format: ImportFormat, files: readonly { path: string; stepHint: number | null }[]): StepTimes {
  const none = (why: string): StepTimes => ({ times: null, note: why + OFF, from: 'none', why })
  if (format === 'jsonl') return none(NONE)
  const byStep = new Map<number, number>()
  for (const f of files) {
    if (f.stepHint === null) return none(NONE)
    let t: number
    try {
      t = statSync(f.path).mtimeMs
    } catch {
      return none(NONE)
    }
    // Several files of one step: the step is done when its last file is.
    byStep.set(f.stepHint, Math.max(byStep.get(f.stepHint) ?? -Infinity, t))
  }
  if (byStep.size < 2) return none(NONE)
  const steps = [...byStep.keys()].sort((a, b) => a - b)
  const ts = steps.map((s) => byStep.get(s)!)
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! < ts[i - 1]!) {
      return none('the files\' modification times do not follow their steps (copied or touched later?)')
    }
  }
  if (ts[ts.length - 1]! - ts[0]! < 1000) {
    return none('the files were all written within one second (copied without their times?)')
  }
  return { times: byStep, from: 'files', note: `wall times: each step's file modification time (${steps.length} files, ${formatSpan(ts[ts.length - 1]! - ts[0]!)} from first to last)` }
}

/** Metric points with the wall time of their step where there is one. */
export function withStepTimes<P extends { step: number }>(points: readonly P[], times: Map<number, number> | null): (P & { wallTime?: number })[] {
  if (!times) return points.slice()
  return points.map((p) => {
    const t = times.get(p.step)
    return t === undefined ? p : { ...p, wallTime: t }
  })
}

function formatSpan(ms: number): string {
  const s = ms / 1000
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 2 * 86400) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86400).toFixed(1)} days`
}
