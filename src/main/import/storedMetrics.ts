import { compileMatcher } from '../../core'
import type { Db } from '../store'
import { RolloutsRepo } from '../store/rollouts'
import { toAligned } from './recompute'
import { StepMetricsBook } from './stepMetrics'
import type { StepMetrics } from '../../core'

/**
 * Step metrics from a run's stored rollouts (all steps, or only `steps`), read in import order a
 * batch at a time; each step on its own (no relative perplexity).
 */
export function metricsFromStored(db: Db, runId: number, phrases: string[], steps?: readonly number[]): { step: number; metrics: StepMetrics }[] {
  const repo = new RolloutsRepo(db)
  const book = new StepMetricsBook(compileMatcher(phrases))
  let after = 0
  for (;;) {
    const rows = steps ? repo.batchOfSteps(runId, steps, after, 2000) : repo.batch(runId, after, 2000)
    if (rows.length === 0) break
    for (const r of rows) book.add(toAligned(r))
    after = rows[rows.length - 1]!.id
  }
  return book.rawResults()
}
