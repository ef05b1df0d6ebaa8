import { statSync } from 'node:fs'
import type { ImportFormat } from '../../shared/api/import'

// Wall times for an import's steps. The records rarely carry one; where each step is its own file
// (a verl folder of <step>.jsonl, one file per checkpoint) the file's modification time is when the
// trainer wrote it, and so stands in for the step's time. Otherwise every point keeps the time of
// the import, and the run page turns its time axes off, saying why (runs/get `timeNote`).

export interface StepTimes {
  /** Step → wall time (ms), or null when the files give no usable times. */
  times: Map<number, number> | null
  /** One line for the import summary: where the times came from, or why there are none. */
  note: string
}

const NONE = 'the files carry no time of their own: every step holds the time of the import, so relative and wall time are off for this run'

/**
 * File times stand in only when they can mean the training's pace: one file per step, and times
 * that grow with the step and are not all within one second (files copied without their times
 * would all read "now", which is no timeline).
 */
export function stepTimesFromFiles(format: ImportFormat, files: readonly { path: string; stepHint: number | null }[]): StepTimes {
  if (format === 'jsonl') return { times: null, note: NONE }
  const byStep = new Map<number, number>()
  for (const f of files) {
    if (f.stepHint === null) return { times: null, note: NONE }
    let t: number
    try {
      t = statSync(f.path).mtimeMs
    } catch {
      return { times: null, note: NONE }
    }
    // Several files of one step: the step is done when its last file is.
    byStep.set(f.stepHint, Math.max(byStep.get(f.stepHint) ?? -Infinity, t))
  }
  if (byStep.size < 2) return { times: null, note: NONE }
  const steps = [...byStep.keys()].sort((a, b) => a - b)
  const ts = steps.map((s) => byStep.get(s)!)
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! < ts[i - 1]!) {
      return { times: null, note: 'the files\' modification times do not follow their steps (copied or touched later?): every step holds the time of the import, so relative and wall time are off for this run' }
    }
  }
  if (ts[ts.length - 1]! - ts[0]! < 1000) {
    return { times: null, note: 'the files were all written within one second (copied without their times?): every step holds the time of the import, so relative and wall time are off for this run' }
  }
  return { times: byStep, note: `wall times: each step's file modification time (${steps.length} files, ${formatSpan(ts[ts.length - 1]! - ts[0]!)} from first to last)` }
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
