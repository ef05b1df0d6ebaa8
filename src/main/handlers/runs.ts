import { ApiError } from '../../shared/errors'
import type { RunSummary } from '../../shared/api/runs'
import type { BackendContext } from '../context'
import type { HandlersOf } from './types'

function mustExist(ctx: BackendContext, id: number): RunSummary {
  const run = ctx.store.runs.get(id)
  if (!run) throw new ApiError('not_found', `run ${id} does not exist`, 'id')
  return run
}

const LIVE = new Set(['running', 'importing', 'paused'])

export const runsHandlers: HandlersOf<'runs/list' | 'runs/get' | 'runs/delete' | 'runs/rename' | 'runs/update' | 'runs/create' | 'runs/metricKeys'> = {
  'runs/list': (req, ctx) => ctx.store.runs.list(req),
  'runs/get': (req, ctx) => {
    const run = ctx.store.runs.detail(req.id)
    if (!run) throw new ApiError('not_found', `run ${req.id} does not exist`, 'id')
    return run
  },
  'runs/delete': (req, ctx) => {
    const run = mustExist(ctx, req.id)
    if (LIVE.has(run.status)) {
      throw new ApiError('conflict', `run ${req.id} is ${run.status}; stop it before deleting it`, 'id')
    }
    ctx.store.runs.delete(req.id)
    ctx.events.emit('runs/changed', { runId: req.id, change: 'deleted' })
    return { deleted: true }
  },
  'runs/rename': (req, ctx) => {
    mustExist(ctx, req.id)
    ctx.store.runs.update(req.id, { name: req.name })
    ctx.events.emit('runs/changed', { runId: req.id, change: 'updated' })
    return ctx.store.runs.get(req.id)!
  },
  'runs/update': (req, ctx) => {
    mustExist(ctx, req.id)
    ctx.store.runs.update(req.id, {
      ...(req.tags !== undefined ? { tags: [...new Set(req.tags)] } : {}),
      ...(req.notes !== undefined ? { notes: req.notes } : {})
    })
    ctx.events.emit('runs/changed', { runId: req.id, change: 'updated' })
    return ctx.store.runs.get(req.id)!
  },
  'runs/create': (req, ctx) => {
    const run = ctx.store.runs.create({ name: req.name, kind: req.kind, status: 'created', tags: req.tags, config: req.config })
    ctx.events.emit('runs/changed', { runId: run.id, change: 'created' })
    return run
  },
  'runs/metricKeys': (req, ctx) => {
    mustExist(ctx, req.id)
    return ctx.store.runs.metricKeys(req.id)
  }
}
