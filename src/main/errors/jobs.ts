import type { BackendContext } from '../context'
import { JobCancelled } from '../jobs'
import { applyRules } from './rules'
import { judgeOne, JudgeItemError, pool, type JudgeConfig } from './judge'
import { loadTaxonomy } from './taxonomy'

const CHUNK = 500

export interface RulesResult {
  failures: number
  labelled: number
  byRule: Record<string, number>
}

/**
 * Pre-labels every failure of a run with the rules (source `rule`), replacing earlier rule labels,
 * chunk by chunk so a cancel leaves whole chunks. A hit whose type the project's taxonomy lacks is
 * not written.
 */
export function startRulesJob(ctx: BackendContext, runId: number): { jobId: number; done: Promise<RulesResult> } {
  const repo = ctx.store.errorLabels
  const ids = repo.failedIds(runId)
  const known = new Set(loadTaxonomy(repo).types.map((t) => t.id))
  return ctx.jobs.run('errors.rules', { runId, unit: 'responses', total: ids.length }, async (job) => {
    const result: RulesResult = { failures: ids.length, labelled: 0, byRule: {} }
    for (let at = 0; at < ids.length; at += CHUNK) {
      if (job.signal.aborted) throw new JobCancelled()
      const chunk = ids.slice(at, at + CHUNK)
      const labels = new Map<number, { errorType: string; note: string | null }>()
      for (const r of repo.rollouts(chunk)) {
        const hit = applyRules(r)
        if (!hit || !known.has(hit.errorType)) continue
        labels.set(r.id, { errorType: hit.errorType, note: hit.note })
        result.byRule[hit.rule] = (result.byRule[hit.rule] ?? 0) + 1
      }
      repo.replaceSource('rule', chunk, labels)
      result.labelled += labels.size
      job.progress(Math.min(ids.length, at + CHUNK), ids.length)
      ctx.events.emit('errors/changed', { runId })
      // Let other requests through between chunks.
      await new Promise((r) => setImmediate(r))
    }
    return result
  })
}

export interface JudgeResult {
  asked: number
  labelled: number
  failed: number
  /** The first failures, each naming the rollout and what went wrong. */
  errors: { rolloutId: number; message: string }[]
}

const MAX_REPORTED = 50

/**
 * Asks the configured judge about each failure of a run (source `judge`), with at most
 * `cfg.concurrency` requests in flight. An unusable reply fails that item only; an unreachable
 * endpoint or a refused key fails the job with that message.
 */
export function startJudgeJob(ctx: BackendContext, runId: number, cfg: JudgeConfig, opts: { redo: boolean; limit?: number }):
  { jobId: number; done: Promise<JudgeResult> } {
  const repo = ctx.store.errorLabels
  const tax = loadTaxonomy(repo)
  let ids = repo.failedIds(runId, opts.redo ? undefined : 'judge')
  if (opts.limit !== undefined) ids = ids.slice(0, opts.limit)
  return ctx.jobs.run('errors.judge', { runId, unit: 'responses', total: ids.length, params: { model: cfg.model, redo: opts.redo } }, async (job) => {
    const result: JudgeResult = { asked: 0, labelled: 0, failed: 0, errors: [] }
    let processed = 0
    for (let at = 0; at < ids.length; at += CHUNK) {
      if (job.signal.aborted) throw new JobCancelled()
      const rows = repo.rollouts(ids.slice(at, at + CHUNK))
      try {
        await judgeChunk(rows)
      } finally {
        // Labels stored before a failure or cancel are kept and shown.
        ctx.events.emit('errors/changed', { runId })
      }
    }
    return result

    function judgeChunk(rows: ReturnType<typeof repo.rollouts>): Promise<void> {
      return pool(rows, cfg.concurrency, job.signal, async (r) => {
        result.asked++
        try {
          const { errorType } = await judgeOne(cfg, tax, r, job.signal)
          repo.set(r.id, 'judge', errorType, cfg.model)
          result.labelled++
        } catch (err) {
          if (err instanceof JudgeItemError) {
            result.failed++
            if (result.errors.length < MAX_REPORTED) result.errors.push({ rolloutId: r.id, message: err.message })
          }
          throw err
        } finally {
          processed++
          job.progress(processed, ids.length, result.failed > 0 ? `${result.failed} unusable replies, last: ${result.errors.at(-1)?.message ?? ''}` : null)
        }
      })
    }
  })
}
