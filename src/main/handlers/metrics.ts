import { ApiError } from '../../shared/errors'
import type { HandlersOf } from './types'

export const metricsHandlers: HandlersOf<'metrics/series' | 'metrics/append'> = {
  'metrics/series': (req, ctx) => {
    for (const id of req.runIds) {
      if (!ctx.store.runs.get(id)) throw new ApiError('not_found', `run ${id} does not exist`, 'runIds')
    }
    if (req.stepMin !== undefined && req.stepMax !== undefined && req.stepMin > req.stepMax) {
      throw new ApiError('invalid_argument', 'metrics/series: stepMin must not exceed stepMax', 'stepMin')
    }
    const series = []
    for (const runId of req.runIds) {
      for (const key of req.keys) {
        series.push(ctx.store.metrics.series({ runId, key, stepMin: req.stepMin, stepMax: req.stepMax, maxPoints: req.maxPoints }))
      }
    }
    return { series }
  },
  'metrics/append': (req, ctx) => {
    if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
    const written = ctx.store.metrics.append(req.runId, req.points)
    const steps = [...new Set(req.points.map((p) => p.step))].sort((a, b) => a - b)
    ctx.events.emit('metrics/appended', { runId: req.runId, steps })
    return { written }
  }
}
