import type { HandlersOf } from './types'

export const jobsHandlers: HandlersOf<'jobs/list' | 'jobs/cancel'> = {
  'jobs/list': (req, ctx) => ctx.store.jobs.list(req.active ?? false),
  'jobs/cancel': (req, ctx) => ({ cancelled: ctx.jobs.cancel(req.id) })
}
