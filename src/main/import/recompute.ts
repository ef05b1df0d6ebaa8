import { compileMatcher, planningMask } from '../../core'
import type { BackendContext } from '../context'
import { JobCancelled } from '../jobs'
import { blobToFloat32, blobToInt32, toBlob } from '../store/blobs'
import { RolloutsRepo, type RolloutRow } from '../store/rollouts'
import type { Aligned } from './align'
import { metricPoints } from './importer'
import { resolveSg } from './sgResolve'
import { StepMetricsBook } from './stepMetrics'

const BATCH = 2000
const SPEC_KEYS = ['rollouts', 'accuracy', 'length', 'planning_ratio', 'semantic_entropy', 'conditional_entropy', 'token_entropy',
  'token_entropy_planning', 'token_entropy_execution', 'perplexity_planning', 'perplexity_execution', 'relative_perplexity_planning',
  'relative_perplexity_execution', 'high_entropy_planning_share', 'planning_high_entropy_share']

export function toAligned(r: RolloutRow): Aligned {
  return {
    rec: {
      step: r.step, promptId: r.prompt_id, prompt: r.prompt, response: r.response, score: r.score,
      correct: r.correct === null ? null : r.correct === 1, answer: r.answer, gold: r.gold,
      tokens: null, offsets: null, logprobs: null, entropies: null, errorType: null, extra: null, time: null
    },
    starts: blobToInt32(r.token_starts),
    ends: blobToInt32(r.token_ends),
    logprobs: blobToFloat32(r.logprobs),
    entropies: blobToFloat32(r.entropies),
    nTokens: r.n_tokens
  }
}

/**
 * Points a run at another Strategic Gram set and recomputes, as a job, everything that depends on
 * it: each rollout's planning mask and has-SG flag and every step's metrics. The reading pass only
 * reads (new masks go to a temporary table), so cancelling it changes nothing; the results are
 * then swapped in by one transaction.
 */
export function startRecompute(ctx: BackendContext, runId: number, sgArg: string): { jobId: number; done: Promise<{ runId: number; sg: string; steps: number; rollouts: number }> } {
  const sg = resolveSg(sgArg, ctx.store)
  const db = ctx.store.db
  const repo = new RolloutsRepo(db)
  const total = repo.count(runId)
  const job = ctx.jobs.run('recompute', { runId, unit: 'rollouts', total, params: { sg: sg.name } }, async (h) => {
    const matcher = compileMatcher(sg.phrases)
    const book = new StepMetricsBook(matcher)
    db.exec('CREATE TEMP TABLE IF NOT EXISTS recompute_mask (id INTEGER PRIMARY KEY, has_sg INTEGER NOT NULL, mask BLOB)')
    db.exec('DELETE FROM temp.recompute_mask')
    const ins = db.prepare('INSERT INTO temp.recompute_mask (id, has_sg, mask) VALUES (?, ?, ?)')
    const put = db.transaction((items: [number, number, Buffer | null][]) => {
      for (const it of items) ins.run(it[0], it[1], it[2])
    })
    try {
      let after = 0
      let done = 0
      for (;;) {
        if (h.signal.aborted) throw new JobCancelled()
        const rows = repo.batch(runId, after, BATCH)
        if (rows.length === 0) break
        const items: [number, number, Buffer | null][] = []
        for (const r of rows) {
          const a = toAligned(r)
          const occ = book.add(a)
          const mask = a.starts && a.ends ? planningMask(a.starts, a.ends, occ > 0 ? matcher.findOccurrences(r.response) : []) : null
          items.push([r.id, occ > 0 ? 1 : 0, toBlob(mask)])
        }
        put(items)
        after = rows[rows.length - 1]!.id
        done += rows.length
        h.progress(done, total, `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rollouts`)
        // Let other requests in between batches.
        await new Promise((r) => setImmediate(r))
      }
      if (h.signal.aborted) throw new JobCancelled()
      const steps = book.results()
      db.transaction(() => {
        db.prepare(`UPDATE rollouts SET has_sg = t.has_sg, planning_mask = t.mask FROM temp.recompute_mask t WHERE rollouts.id = t.id`).run()
        // Only the SG-dependent SPEC metrics are replaced; a training run's own curves stay.
        db.prepare(`DELETE FROM metrics WHERE run_id = ? AND (key IN (${SPEC_KEYS.map(() => '?').join(', ')}) OR key LIKE 'pass\\_at\\_%' ESCAPE '\\')`)
          .run(runId, ...SPEC_KEYS)
        ctx.store.metrics.append(runId, metricPoints(steps))
        ctx.store.runs.update(runId, { sgSetId: sg.setId, sgSetVersion: sg.version })
      })()
      ctx.events.emit('metrics/appended', { runId, steps: steps.map((s) => s.step) })
      ctx.events.emit('runs/changed', { runId, change: 'updated' })
      return { runId, sg: sg.name, steps: steps.length, rollouts: done }
    } finally {
      db.exec('DELETE FROM temp.recompute_mask')
    }
  })
  return job
}
