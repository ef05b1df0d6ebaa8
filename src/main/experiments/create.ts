import type { BackendContext } from '../context'
import type { StoredExperiment } from '../store/experiments'
import { expandGrid, specHash, type ExperimentSpec } from './spec'

/**
 * The experiment to run for a spec: the newest one with the very same spec (continued, its
 * finished runs untouched) unless `fresh`, else a new one with its grid expanded and stored.
 */
export function experimentFor(ctx: BackendContext, spec: ExperimentSpec, fresh: boolean): { experiment: StoredExperiment; created: boolean } {
  const hash = specHash(spec)
  const cells = expandGrid(spec)
  if (!fresh) {
    const existing = ctx.store.experiments.latestWithHash(hash)
    if (existing) return { experiment: existing, created: false }
  }
  const experiment = ctx.store.experiments.create(spec.name, spec, hash, cells.map((c) => ({ idx: c.idx, arm: c.arm, seed: c.seed, config: c.config })))
  return { experiment, created: true }
}
