import type { TrainConfig } from '../../engine/config'
import type { BackendContext } from '../context'
import type { StoredExperiment } from '../store/experiments'
import { baseKey, type ExperimentSpec } from './spec'

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
  /** The stored experiments this data was read from (several when merged), with their arms as named here. */
  sources: { id: number; name: string; arms: string[] }[]
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
  return { experiment, spec, arms: list, baseline, sources: [{ id, name: experiment.name, arms: list.map((a) => a.arm) }] }
}

/**
 * Several experiments read as one, for a report whose arms were run apart (the α values a first
 * grid did not hold, say, against its GRPO arm). The Δ columns pair runs by seed, which is only
 * sound if a seed's runs start from one base policy in every experiment: that is checked, and
 * an arm name that repeats gets its experiment's id in front. The first experiment's baseline
 * is the baseline.
 */
export function mergeExperiments(list: ExperimentData[]): ExperimentData {
  if (list.length === 0) throw new Error('no experiment to report')
  if (list.length === 1) return list[0]
  const [first] = list
  const bases = new Map<number, { key: string; id: number }>()
  for (const d of list) {
    for (const a of d.arms) {
      for (const c of a.cells) {
        const key = baseKey(c.config)
        const seen = bases.get(c.seed)
        if (!seen) bases.set(c.seed, { key, id: d.experiment.id })
        else if (seen.key !== key) {
          throw new Error(`experiments ${seen.id} and ${d.experiment.id} start seed ${c.seed} from different base policies (task, model, warm-up or backend differ): a paired report needs one base per seed`)
        }
      }
    }
  }
  const names = new Set<string>()
  const arms: ArmData[] = []
  const sources: ExperimentData['sources'] = []
  for (const d of list) {
    const source = { id: d.experiment.id, name: d.experiment.name, arms: [] as string[] }
    for (const a of d.arms) {
      const arm = names.has(a.arm) ? `#${d.experiment.id} ${a.arm}` : a.arm
      names.add(arm)
      arms.push({ ...a, arm })
      source.arms.push(arm)
    }
    sources.push(source)
  }
  const seeds = [...new Set(list.flatMap((d) => d.spec.seeds))].sort((a, b) => a - b)
  return {
    experiment: {
      ...first.experiment,
      name: list.map((d) => d.experiment.name).join(' + '),
      // Completed only when all are; else the first one that is not.
      status: list.find((d) => d.experiment.status !== 'completed')?.experiment.status ?? first.experiment.status,
      updatedAt: Math.max(...list.map((d) => d.experiment.updatedAt))
    },
    spec: { ...first.spec, description: list.map((d) => d.spec.description).filter(Boolean).join(' '), seeds, baseline: first.baseline ?? undefined },
    arms,
    baseline: first.baseline,
    sources
  }
}
