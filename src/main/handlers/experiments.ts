import { ApiError } from '../../shared/errors'
import type { HandlersOf } from './types'
import { presetList, presetSpec, PRESET_NAMES } from '../experiments/presets'
import { parseSpec, SpecError, type ExperimentSpec } from '../experiments/spec'
import { experimentFor } from '../experiments/create'
import { liveExperiment, startExperiment } from '../experiments/run'
import { experimentStats } from '../experiments/stats'
import type { BackendContext } from '../context'

// experiments/*: an experiment is a stored grid of training runs driven by one job.

function detail(ctx: BackendContext, id: number) {
  ctx.store.experiments.markInterrupted()
  const e = ctx.store.experiments.get(id)
  if (!e) throw new ApiError('not_found', `experiment ${id} does not exist`, 'id')
  const spec = e.spec as ExperimentSpec
  return {
    ...ctx.store.experiments.summary(e),
    description: spec.description ?? '',
    spec: e.spec,
    cells: ctx.store.experiments.cells(id).map(({ config: _c, ...cell }) => cell),
    baseline: experimentStats(ctx, id).baseline
  }
}

export const experimentsHandlers: HandlersOf<'experiments/presets' | 'experiments/list' | 'experiments/get' | 'experiments/stats'
  | 'experiments/start' | 'experiments/stop'> = {
  'experiments/presets': () => presetList(),

  'experiments/list': (_req, ctx) => {
    ctx.store.experiments.markInterrupted()
    return ctx.store.experiments.summaries()
  },

  'experiments/get': (req, ctx) => detail(ctx, req.id),

  'experiments/stats': (req, ctx) => {
    if (!ctx.store.experiments.get(req.id)) throw new ApiError('not_found', `experiment ${req.id} does not exist`, 'id')
    return experimentStats(ctx, req.id)
  },

  'experiments/start': (req, ctx) => {
    ctx.store.experiments.markInterrupted()
    let experimentId: number
    let created = false
    if (req.id !== undefined) {
      if (!ctx.store.experiments.get(req.id)) throw new ApiError('not_found', `experiment ${req.id} does not exist`, 'id')
      experimentId = req.id
    } else {
      let spec: ExperimentSpec
      if (req.preset !== undefined) {
        const p = presetSpec(req.preset)
        if (!p) throw new ApiError('not_found', `no preset '${req.preset}' (presets: ${PRESET_NAMES.join(', ')})`, 'preset')
        spec = p
      } else {
        try {
          spec = parseSpec(req.spec)
        } catch (e) {
          throw new ApiError('invalid_argument', (e as Error).message, e instanceof SpecError ? `spec.${e.field ?? ''}` : 'spec')
        }
      }
      try {
        const r = experimentFor(ctx, spec, req.fresh)
        experimentId = r.experiment.id
        created = r.created
      } catch (e) {
        if (e instanceof SpecError) throw new ApiError('invalid_argument', e.message, e.field ? `spec.${e.field}` : 'spec')
        throw e
      }
    }
    const e = ctx.store.experiments.get(experimentId)!
    const running = liveExperiment(experimentId)
    if (running) return { experimentId, jobId: running.jobId, created }
    if (e.status === 'running') throw new ApiError('conflict', `experiment ${experimentId} is running in another process`, 'id')
    const cells = ctx.store.experiments.cells(experimentId)
    if (cells.every((c) => c.status === 'completed' || c.status === 'failed')) {
      ctx.store.experiments.setStatus(experimentId, cells.every((c) => c.status === 'completed') ? 'completed' : 'failed')
      return { experimentId, jobId: null, created }
    }
    const entry = startExperiment(ctx, experimentId, req.workers)
    return { experimentId, jobId: entry.jobId, created }
  },

  'experiments/stop': (req, ctx) => {
    const entry = liveExperiment(req.id)
    if (!entry) {
      if (!ctx.store.experiments.get(req.id)) throw new ApiError('not_found', `experiment ${req.id} does not exist`, 'id')
      return { stopping: false }
    }
    ctx.jobs.cancel(entry.jobId)
    return { stopping: true }
  }
}
