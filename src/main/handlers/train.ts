import { ApiError } from '../../shared/errors'
import { trainRunName } from '../../shared/api/train'
import type { HandlersOf } from './types'
import { launch, liveRun } from '../train/runner'
import { requestControl, trainerElsewhere } from '../train/remote'

// train/*: a training run is a run of kind 'train' whose worker thread is supervised by a job.
// A run another live process trains is controlled through the workspace (train/remote.ts).

const RESTARTABLE = new Set(['interrupted', 'stopped', 'failed', 'created'])

export const trainHandlers: HandlersOf<'train/start' | 'train/stop' | 'train/pause' | 'train/resume'> = {
  'train/start': (req, ctx) => {
    const c = req.config
    const run = ctx.store.runs.create({
      name: req.name ?? trainRunName(c),
      kind: 'train',
      status: 'created',
      // The worker reports the backend that actually loaded; a probe can only guess.
      backend: null,
      tags: req.tags ?? [c.task, c.algo],
      config: c
    })
    ctx.events.emit('runs/changed', { runId: run.id, change: 'created' })
    const entry = launch(ctx, run.id, c, false)
    return { runId: run.id, jobId: entry.jobId }
  },

  'train/stop': (req, ctx) => {
    const entry = liveRun(req.runId)
    if (!entry) {
      if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
      if (trainerElsewhere(ctx.store.db, req.runId) === null) return { stopping: false }
      requestControl(ctx.store.db, req.runId, 'stop')
      return { stopping: true }
    }
    entry.stopRequested = true
    entry.worker?.send({ type: 'stop' })
    return { stopping: true }
  },

  'train/pause': (req, ctx) => {
    const entry = liveRun(req.runId)
    if (!entry) {
      if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
      if (trainerElsewhere(ctx.store.db, req.runId) === null) throw new ApiError('conflict', `run ${req.runId} is not training`, 'runId')
      requestControl(ctx.store.db, req.runId, 'pause')
      return { paused: true }
    }
    entry.worker?.send({ type: 'pause' })
    return { paused: true }
  },

  'train/resume': (req, ctx) => {
    const entry = liveRun(req.runId)
    if (entry) {
      entry.worker?.send({ type: 'resume' })
      return { resumed: true, restarted: false, jobId: entry.jobId }
    }
    // Paused by the process that trains it: that process resumes it.
    if (trainerElsewhere(ctx.store.db, req.runId) !== null) {
      requestControl(ctx.store.db, req.runId, 'resume')
      return { resumed: true, restarted: false, jobId: null }
    }
    const run = ctx.store.runs.detail(req.runId)
    if (!run) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
    if (run.kind !== 'train') throw new ApiError('invalid_argument', `run ${req.runId} is an imported run, not a training run`, 'runId')
    if (!RESTARTABLE.has(run.status)) throw new ApiError('conflict', `run ${req.runId} is ${run.status}; only interrupted, stopped or failed runs restart`, 'runId')
    // The stored config is the parsed one plus what the trainer added (parameters, vocab, backendDetail).
    const { parameters: _p, vocab: _v, backendDetail: _b, ...config } = (run.config ?? {}) as Record<string, unknown>
    const restarted = launch(ctx, req.runId, config, true)
    return { resumed: true, restarted: true, jobId: restarted.jobId }
  }
}
