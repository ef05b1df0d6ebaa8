import { z } from 'zod'
import { channel } from './define'

// experiments/*: a grid of training runs (arms × grid axes × seeds) started as one job, resumable,
// and its statistics across seeds. The spec itself is validated in the back end
// (src/main/experiments/spec.ts), which names the bad field; here it is any JSON object.

export type ExperimentStatus = 'created' | 'running' | 'completed' | 'stopped' | 'interrupted' | 'failed'

export interface ExperimentCell {
  idx: number
  arm: string
  seed: number
  runId: number | null
  /** The run's status, or 'pending' before its run exists. */
  status: string
  lastStep: number | null
  steps: number
  elapsedS: number
}

export interface ExperimentSummary {
  id: number
  name: string
  status: ExperimentStatus
  createdAt: number
  updatedAt: number
  arms: string[]
  seeds: number[]
  runs: number
  completedRuns: number
}

export interface ExperimentDetail extends ExperimentSummary {
  description: string
  spec: unknown
  cells: ExperimentCell[]
  baseline: string | null
}

export interface IntervalJson {
  n: number
  mean: number | null
  lo: number | null
  hi: number | null
}

const fixed3 = (x: number, sign: boolean) => (sign && x >= 0 ? '+' : '') + x.toFixed(3)

/**
 * An interval as the report and the app both print it: `mean [lo, hi]` to three decimals (`sign`:
 * with a + on non-negative values, for differences), `mean (n=N)` where there is no interval, `–`
 * where there is no value.
 */
export function formatInterval(i: IntervalJson | null, sign = false): string {
  if (!i || i.mean === null) return '–'
  const m = fixed3(i.mean, sign)
  return i.lo === null || i.hi === null ? `${m} (n=${i.n})` : `${m} [${fixed3(i.lo, sign)}, ${fixed3(i.hi, sign)}]`
}

/** One arm's figures across seeds (the report's Table 1 row). */
export interface ArmStats {
  arm: string
  algo: string
  task: string
  seeds: number[]
  completedSeeds: number[]
  finalTestPass1: IntervalJson
  testArea: IntervalJson
  finalAccuracy: IntervalJson
  /** Paired Δ of the final test Pass@1 against the baseline arm (same seeds, same base policies). */
  deltaVsBaseline: (IntervalJson & { seeds: number[] }) | null
  deltaAreaVsBaseline: (IntervalJson & { seeds: number[] }) | null
  /** Mean seconds a run of this arm took (warm-up included), and the sum. */
  meanRunSeconds: number | null
  totalSeconds: number
}

export interface ExperimentStats {
  experimentId: number
  baseline: string | null
  level: number
  arms: ArmStats[]
}

/** Pushed while an experiment runs: the grid's progress and each running cell's. */
export interface ExperimentProgress {
  experimentId: number
  status: ExperimentStatus
  runsDone: number
  runsTotal: number
  stepsDone: number
  stepsTotal: number
  etaSeconds: number | null
  running: { idx: number; arm: string; seed: number; runId: number; step: number; total: number; message: string | null }[]
  /** A run that just ended (its one line in the CLI). */
  ended?: { idx: number; arm: string; seed: number; runId: number; status: string; seconds: number }
}

export interface ExperimentPreset {
  name: string
  description: string
  arms: string[]
  seeds: number[]
  runs: number
  stepsPerRun: number
}

const ExperimentId = z.number().int().positive()

export const experimentsChannels = {
  'experiments/presets': channel<ExperimentPreset[]>()(z.object({}).strict().default({})),
  'experiments/list': channel<ExperimentSummary[]>()(z.object({}).strict().default({})),
  'experiments/get': channel<ExperimentDetail>()(z.object({ id: ExperimentId }).strict()),
  'experiments/stats': channel<ExperimentStats>()(z.object({ id: ExperimentId }).strict()),
  /**
   * Starts a preset or a spec, or continues one: the same spec as an unfinished (or finished)
   * experiment continues it unless `fresh`; `id` continues that experiment.
   */
  'experiments/start': channel<{ experimentId: number; jobId: number | null; created: boolean }>()(
    z.object({
      preset: z.string().min(1).max(100).optional(),
      spec: z.record(z.string(), z.unknown()).optional(),
      id: ExperimentId.optional(),
      fresh: z.boolean().default(false),
      workers: z.number().int().min(1).max(64).optional()
    }).strict().refine((r) => [r.preset, r.spec, r.id].filter((x) => x !== undefined).length === 1, {
      message: 'give exactly one of preset, spec or id'
    })
  ),
  'experiments/stop': channel<{ stopping: boolean }>()(z.object({ id: ExperimentId }).strict())
}
