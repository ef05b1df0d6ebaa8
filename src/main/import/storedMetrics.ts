import { compileMatcher } from '../../core'
import type { Db } from '../store'
import { RolloutsRepo } from '../store/rollouts'
import { toAligned } from './recompute'
import { StepMetricsBook, type StepRow } from './stepMetrics'

/** Every step's metrics from a run's stored rollouts, read in import order, a batch at a time. */
export function metricsFromStored(db: Db, runId: number, phrases: string[]): StepRow[] {
  const repo = new RolloutsRepo(db)
  const book = new StepMetricsBook(compileMatcher(phrases))
  let after = 0
  for (;;) {
    const rows = repo.batch(runId, after, 2000)
    if (rows.length === 0) break
    for (const r of rows) book.add(toAligned(r))
    after = rows[rows.length - 1]!.id
  }
  return book.results()
}
