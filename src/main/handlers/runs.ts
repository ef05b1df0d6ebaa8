import { ApiError } from '../../shared/errors'
import type { RunSummary } from '../../shared/api/runs'
import type { ImportSummary } from '../../shared/api/import'
import type { BackendContext } from '../context'
import type { HandlersOf } from './types'
import { liveRun } from '../train/runner'
import { whyNoTimes } from '../import/stepTimes'
import { trainerElsewhere } from '../train/remote'

function mustExist(ctx: BackendContext, id: number): RunSummary {
  const run = ctx.store.runs.get(id)
  if (!run) throw new ApiError('not_found', `run ${id} does not exist`, 'id')
  return run
}

const LIVE = new Set(['running', 'importing', 'paused'])

/** Null when the run's steps carry real times; otherwise why its time axes are off. */
function timeNote(ctx: BackendContext, runId: number, kind: string, source: unknown): string | null {
  const n = ctx.store.runs.stepsOfOneTime(runId)
  if (n === null || n < 2) return null
  if (kind !== 'import') return `its ${n} steps all carry one time.`
  // The import said why it found no times (a timestamp field that has holes, say); older imports did not.
  const why = whyNoTimes((source as { summary?: Pick<ImportSummary, 'wallTimes'> } | null)?.summary?.wallTimes)
  return `its ${n} steps all carry the time they were imported: ` +
    (why !== undefined ? `${why}.` : 'the files have no timestamp field and no per-step files whose times could stand in.')
}

export const runsHandlers: HandlersOf<'runs/list' | 'runs/get' | 'runs/delete' | 'runs/rename' | 'runs/update' | 'runs/create' | 'runs/metricKeys'> = {
  'runs/list': (req, ctx) => ctx.store.runs.list(req),
  'runs/get': (req, ctx) => {
    const run = ctx.store.runs.detail(req.id)
    if (!run) throw new ApiError('not_found', `run ${req.id} does not exist`, 'id')
    const elsewhere = liveRun(req.id) ? null : trainerElsewhere(ctx.store.db, req.id)
    const trainer = liveRun(req.id) ? { here: true, pid: process.pid } : elsewhere !== null ? { here: false, pid: elsewhere } : null
    return { ...run, trainer, timeNote: timeNote(ctx, run.id, run.kind, run.source) }
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
