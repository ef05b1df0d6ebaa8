import { meanInterval, normalizedArea, pairedDifference, type Interval } from '../../core/stats'
import type { ArmStats, ExperimentStats, IntervalJson } from '../../shared/api/experiments'
import type { BackendContext } from '../context'
import { loadExperimentData, type ArmData, type CellData, type ExperimentData } from './data'

// Table 1 of the report, per arm over the seeds whose run completed: final test Pass@1, the
// normalized area under the test curve, final training accuracy, each with a Student-t 95%
// interval (n = seeds), and the paired Δ against the baseline arm over the seeds both completed.

export const LEVEL = 0.95
export const TEST_KEY = 'test_pass_at_1'

const finite = (x: number) => (Number.isFinite(x) ? x : null)
export const toJson = (i: Interval): IntervalJson => ({ n: i.n, mean: finite(i.mean), lo: finite(i.lo), hi: finite(i.hi) })

const done = (c: CellData) => c.status === 'completed'
const lastOf = (c: CellData, key: string): number => {
  const s = c.series.get(key)
  return s && s.value.length > 0 ? s.value[s.value.length - 1]! : NaN
}
const areaOf = (c: CellData, key: string): number => {
  const s = c.series.get(key)
  return s ? normalizedArea(s.step, s.value) : NaN
}

function bySeed(arm: ArmData, f: (c: CellData) => number): Map<string, number> {
  return new Map(arm.cells.filter(done).map((c) => [String(c.seed), f(c)]))
}

export function statsOf(data: ExperimentData): ExperimentStats {
  const base = data.arms.find((a) => a.arm === data.baseline) ?? null
  const arms: ArmStats[] = data.arms.map((arm) => {
    const completed = arm.cells.filter(done)
    const paired = (f: (c: CellData) => number) => {
      if (!base || base === arm) return null
      const d = pairedDifference(bySeed(arm, f), bySeed(base, f), LEVEL)
      return { ...toJson(d), seeds: d.keys.map(Number) }
    }
    const secs = completed.map((c) => c.elapsedS)
    return {
      arm: arm.arm,
      algo: arm.algo,
      task: arm.task,
      seeds: arm.cells.map((c) => c.seed),
      completedSeeds: completed.map((c) => c.seed),
      finalTestPass1: toJson(meanInterval(completed.map((c) => lastOf(c, TEST_KEY)), LEVEL)),
      testArea: toJson(meanInterval(completed.map((c) => areaOf(c, TEST_KEY)), LEVEL)),
      finalAccuracy: toJson(meanInterval(completed.map((c) => lastOf(c, 'accuracy')), LEVEL)),
      deltaVsBaseline: paired((c) => lastOf(c, TEST_KEY)),
      deltaAreaVsBaseline: paired((c) => areaOf(c, TEST_KEY)),
      meanRunSeconds: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : null,
      totalSeconds: arm.cells.reduce((s, c) => s + c.elapsedS, 0)
    }
  })
  return { experimentId: data.experiment.id, baseline: data.baseline, level: LEVEL, arms }
}

export function experimentStats(ctx: BackendContext, id: number): ExperimentStats {
  return statsOf(loadExperimentData(ctx, id, [TEST_KEY, 'accuracy']))
}
