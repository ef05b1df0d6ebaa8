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
}

export interface MetricPoint {
  step: number
  key: string
  value: number
  wallTime?: number
}

export const MetricKey = z.string().min(1).max(120).regex(/^[A-Za-z0-9_.:/@-]+$/, 'must be letters, digits or _ . : / @ -')

export const metricsChannels = {
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
