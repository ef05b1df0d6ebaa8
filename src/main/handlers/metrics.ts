import { ApiError } from '../../shared/errors'
import type { HandlersOf } from './types'

export const metricsHandlers: HandlersOf<'metrics/series' | 'metrics/batch' | 'metrics/last' | 'metrics/append'> = {
  'metrics/series': (req, ctx) => {
    for (const id of req.runIds) {
      if (!ctx.store.runs.exists(id)) throw new ApiError('not_found', `run ${id} does not exist`, 'runIds')
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
  'metrics/batch': (req, ctx) => {
    const known = new Set<number>()
    req.queries.forEach((q, i) => q.runIds.forEach((id, j) => {
      if (known.has(id)) return
      // Only whether it exists: a run's summary counts its steps and rollouts, 8 runs × 20,000 steps a view.
      if (!ctx.store.runs.exists(id)) throw new ApiError('not_found', `run ${id} does not exist`, `queries.${i}.runIds.${j}`)
      known.add(id)
    }))
    const results = req.queries.map((q) => {
      const series = []
      for (const runId of q.runIds) {
        for (const key of q.keys) {
          series.push(ctx.store.metrics.series({ runId, key, stepMin: q.stepMin, stepMax: q.stepMax, maxPoints: q.maxPoints, tail: q.tail }))
        }
      }
      return { series }
    })
    return { results }
  },
  'metrics/last': (req, ctx) => {
    const values = []
    for (const runId of req.runIds) {
      for (const key of req.keys) {
        const p = ctx.store.metrics.last(runId, key)
        if (p) values.push({ runId, key, ...p })
      }
    }
    return { values }
  },
  'metrics/append': (req, ctx) => {
    if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
    const written = ctx.store.metrics.append(req.runId, req.points)
    const steps = [...new Set(req.points.map((p) => p.step))].sort((a, b) => a - b)
    ctx.events.emit('metrics/appended', { runId: req.runId, steps })
    return { written }
  }
}
