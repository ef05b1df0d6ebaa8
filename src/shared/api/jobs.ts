import { z } from 'zod'
import { channel } from './define'

export type JobStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'interrupted'

export interface JobSummary {
  id: number
  kind: string
  status: JobStatus
  runId: number | null
  createdAt: number
  updatedAt: number
  done: number
  total: number | null
  unit: string
  message: string | null
  error: string | null
}

/** Pushed while a job runs; `total` is null when unknown. */
export interface JobProgress {
  jobId: number
  kind: string
  runId: number | null
  status: JobStatus
  done: number
  total: number | null
  unit: string
  /** Units per second over the recent window. */
  rate: number | null
  etaSeconds: number | null
  message: string | null
}

export const jobsChannels = {
  'jobs/list': channel<JobSummary[]>()(
    z.object({ active: z.boolean().optional() }).strict().default({})
  ),
  'jobs/cancel': channel<{ cancelled: boolean }>()(
    z.object({ id: z.number().int().positive() }).strict()
  )
}
