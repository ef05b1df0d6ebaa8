import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'

/**
 * One series downsampled into at most `maxPoints` buckets over the requested step range. Each bucket
 * keeps min, max and last so spikes survive downsampling (the raw data stays in the store).
 * When a series has no more points than `maxPoints`, every bucket is one raw point.
 */
export interface MetricSeries {
  runId: number
  key: string
  /** Points of this series inside the requested range, before bucketing. */
  total: number
  step: number[]
  min: number[]
  max: number[]
  last: number[]
  /** Wall time (ms since epoch) of each bucket's last point. */
  wall: number[]
  /** The last `tail` raw points inside the range, oldest first (only when the query asked for them). */
  tail?: { step: number[]; value: number[] }
}

export interface MetricPoint {
  step: number
  key: string
  value: number
  wallTime?: number
}

export const MetricKey = z.string().min(1).max(120).regex(/^[A-Za-z0-9_.:/@-]+$/, 'must be letters, digits or _ . : / @ -')

const StepRange = {
  stepMin: z.number().finite().optional(),
  stepMax: z.number().finite().optional()
}

/** One query of a `metrics/batch` call: every run × every key, over one step range. */
export const SeriesQuery = z.object({
  runIds: z.array(RunId).min(1).max(64),
  keys: z.array(MetricKey).min(1).max(64),
  ...StepRange,
  /** Buckets per series; 0 asks only for the count (and the tail). */
  maxPoints: z.number().int().min(0).max(100_000).default(2000),
  /** Also return the last `tail` raw points of each series (the Δ table's mean of the last N). */
  tail: z.number().int().min(1).max(10_000).optional()
}).strict()

/** Series a single `metrics/batch` call may return in all. */
export const MAX_BATCH_SERIES = 4096

export const metricsChannels = {
  /**
   * Many series in one call: each query is answered as `metrics/series` would, in order. One
   * request for a whole Compare view (runs × metrics × ranges) instead of one per panel.
   */
  'metrics/batch': channel<{ results: { series: MetricSeries[] }[] }>()(
    z.object({ queries: z.array(SeriesQuery).min(1).max(256) }).strict().superRefine((req, ctx) => {
      let n = 0
      req.queries.forEach((q, i) => {
        n += q.runIds.length * q.keys.length
        if (q.stepMin !== undefined && q.stepMax !== undefined && q.stepMin > q.stepMax) {
          ctx.addIssue({ code: 'custom', path: ['queries', i, 'stepMin'], message: 'must not exceed stepMax' })
        }
      })
      if (n > MAX_BATCH_SERIES) ctx.addIssue({ code: 'custom', path: ['queries'], message: `asks for ${n} series; at most ${MAX_BATCH_SERIES} a call` })
    })
  ),
  /** The last stored point of each run × key (the runs list's metric columns); pairs without one are left out. */
  'metrics/last': channel<{ values: { runId: number; key: string; step: number; value: number }[] }>()(
    z.object({ runIds: z.array(RunId).min(1).max(2000), keys: z.array(MetricKey).min(1).max(32) }).strict()
  ),
  'metrics/series': channel<{ series: MetricSeries[] }>()(
    z.object({
      runIds: z.array(RunId).min(1).max(64),
      keys: z.array(MetricKey).min(1).max(64),
      stepMin: z.number().finite().optional(),
      stepMax: z.number().finite().optional(),
      maxPoints: z.number().int().min(2).max(100_000).default(2000)
    }).strict()
  ),
  'metrics/append': channel<{ written: number }>()(
    z.object({
      runId: RunId,
      points: z.array(
        z.object({
          step: z.number().int().min(0),
          key: MetricKey,
          value: z.number(),
          wallTime: z.number().finite().optional()
        }).strict()
      ).min(1).max(100_000)
    }).strict()
  )
}
