import type { TrainConfig } from '../../engine/config'
import type { BackendContext } from '../context'
import type { StoredExperiment } from '../store/experiments'
import type { ExperimentSpec } from './spec'

// An experiment's runs grouped by arm, with the series the statistics and figures read. The
// report and the app both go through here, so they show the same numbers.

export interface Curve {
  step: number[]
  value: number[]
}

export interface CellData {
  idx: number
  seed: number
  runId: number | null
  status: string
  elapsedS: number
  lastStep: number | null
  steps: number
  config: TrainConfig
  series: Map<string, Curve>
}

export interface ArmData {
  arm: string
  algo: string
  task: string
  cells: CellData[]
}

export interface ExperimentData {
  experiment: StoredExperiment
  spec: ExperimentSpec
  arms: ArmData[]
  /** The arm Δs are taken against: the spec's baseline, else the first GRPO arm, else none. */
  baseline: string | null
}

export function loadExperimentData(ctx: BackendContext, id: number, keys: readonly string[]): ExperimentData {
  const experiment = ctx.store.experiments.get(id)
  if (!experiment) throw new Error(`experiment ${id} does not exist`)
  const spec = experiment.spec as ExperimentSpec
  const arms = new Map<string, ArmData>()
  for (const c of ctx.store.experiments.cells(id)) {
    const config = c.config as TrainConfig
    let arm = arms.get(c.arm)
    if (!arm) arms.set(c.arm, (arm = { arm: c.arm, algo: config.algo, task: config.task, cells: [] }))
    const series = new Map<string, Curve>()
    if (c.runId !== null) {
      for (const key of keys) {
        const s = ctx.store.metrics.series({ runId: c.runId, key, maxPoints: 1_000_000 })
        if (s.step.length > 0) series.set(key, { step: s.step, value: s.last })
      }
    }
    arm.cells.push({ idx: c.idx, seed: c.seed, runId: c.runId, status: c.status, elapsedS: c.elapsedS, lastStep: c.lastStep, steps: c.steps, config, series })
  }
  const list = [...arms.values()]
  const baseline = spec.baseline ?? list.find((a) => a.algo === 'grpo')?.arm ?? null
  return { experiment, spec, arms: list, baseline }
}
