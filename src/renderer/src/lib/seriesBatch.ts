import type { MetricSeries } from '../../../shared/api/metrics'
import type { SeriesFetcher, SeriesRequest } from './seriesQuery'

export type BatchInvoke = (req: { queries: SeriesRequest[] }) => Promise<{ results: { series: MetricSeries[] }[] }>

/** What one `metrics/batch` call may carry (the contract's limits). */
export const BATCH_LIMITS = { queries: 256, series: 4096 }

/**
 * A `metrics/series`-shaped fetcher that sends every query made in the same turn of the event loop
 * as one `metrics/batch` call: the panels of a view mount together and ask together, so a whole
 * Compare view is one request instead of one per panel. Each caller gets its own query's answer.
 */
export function createSeriesBatcher(invokeBatch: BatchInvoke, limits = BATCH_LIMITS): SeriesFetcher & { readonly calls: number } {
  let pending: { req: SeriesRequest; resolve: (r: { series: MetricSeries[] }) => void; reject: (e: unknown) => void }[] = []
  let scheduled = false
  let calls = 0

  function flush() {
    scheduled = false
    const todo = pending
    pending = []
    // Cut into calls the contract accepts, in order.
    let chunk: typeof todo = []
    let series = 0
    const send = (c: typeof todo) => {
      if (c.length === 0) return
      calls++
      invokeBatch({ queries: c.map((p) => p.req) }).then(
        (res) => c.forEach((p, i) => p.resolve(res.results[i]!)),
        (err) => c.forEach((p) => p.reject(err)))
    }
    for (const p of todo) {
      const n = p.req.runIds.length * p.req.keys.length
      if (chunk.length > 0 && (chunk.length >= limits.queries || series + n > limits.series)) { send(chunk); chunk = []; series = 0 }
      chunk.push(p)
      series += n
    }
    send(chunk)
  }

  const fetcher = (req: SeriesRequest) => new Promise<{ series: MetricSeries[] }>((resolve, reject) => {
    pending.push({ req, resolve, reject })
    if (!scheduled) { scheduled = true; setTimeout(flush, 0) }
  })
  return Object.defineProperty(fetcher, 'calls', { get: () => calls }) as SeriesFetcher & { readonly calls: number }
}
