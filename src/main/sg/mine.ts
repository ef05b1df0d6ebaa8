import { setImmediate as tick } from 'node:timers/promises'
import { ApiError } from '../../shared/errors'
import type { Req } from '../../shared/contract'
import type { SgCandidate, SgMineResult } from '../../shared/api/sg'
import { SgMiner, type MinedCandidate } from '../../core/mining'
import type { BackendContext } from '../context'
import { JobCancelled } from '../jobs'
import { phraseKey } from '../store/sgSets'
import { countRollouts, isCorrect, rolloutPages, type RolloutScope } from './rollouts'

type MineReq = Required<Pick<Req<'sg/mine'>, 'runIds' | 'minN' | 'maxN' | 'minSupport' | 'limit'>> & Req<'sg/mine'>

/** What a finished mining job keeps: the raw candidates; rejections and set membership apply on read. */
interface MineOutput {
  responses: number
  successResponses: number
  setId: number | null
  candidates: Omit<SgCandidate, 'inSet'>[]
}

// Mining results of jobs started by this process, so `sg/candidates` can wait for a running one and
// serve results larger than the job table keeps.
const running = new WeakMap<BackendContext, Map<number, Promise<MineOutput>>>()

function trim(c: MinedCandidate): Omit<SgCandidate, 'inSet'> {
  return {
    phrase: c.phrase, n: c.n, successCount: c.successCount, failureCount: c.failureCount, successDocs: c.successDocs,
    failureDocs: c.failureDocs, docFreq: c.docFreq, lift: c.lift, cueScore: c.cueScore, score: c.score, steps: c.steps.slice(0, 30), folded: c.folded
  }
}

/** Starts mining the chosen runs' rollouts as a job; progress in rollouts, cancellable between pages. */
export function startMining(ctx: BackendContext, req: MineReq): { jobId: number } {
  if (req.minN > req.maxN) throw new ApiError('invalid_argument', `minN (${req.minN}) must not exceed maxN (${req.maxN})`, 'minN')
  if (req.stepMin !== undefined && req.stepMax !== undefined && req.stepMin > req.stepMax) {
    throw new ApiError('invalid_argument', 'stepMin must not exceed stepMax', 'stepMin')
  }
  req.runIds.forEach((id, i) => {
    if (!ctx.store.runs.get(id)) throw new ApiError('not_found', `run ${id} does not exist`, `runIds.${i}`)
  })
  if (req.setId !== undefined && !ctx.store.sgSets.summary(req.setId)) {
    throw new ApiError('not_found', `Strategic Gram set ${req.setId} does not exist`, 'setId')
  }
  const scope: RolloutScope = { runIds: req.runIds, stepMin: req.stepMin, stepMax: req.stepMax }
  const total = countRollouts(ctx.store.db, scope)
  if (total === 0) throw new ApiError('invalid_argument', 'the chosen runs and steps hold no rollouts to mine', 'runIds')
  const { jobId, done } = ctx.jobs.run('sg-mine', { runId: req.runIds[0], unit: 'rollouts', total, params: req }, async (job) => {
    const miner = new SgMiner({ minN: req.minN, maxN: req.maxN })
    let seen = 0
    let success = 0
    for (const page of rolloutPages(ctx.store.db, scope)) {
      if (job.signal.aborted) throw new JobCancelled()
      for (const r of page) {
        const ok = isCorrect(r)
        if (ok) success++
        miner.addResponse({ text: r.response, correct: ok, step: r.step })
      }
      seen += page.length
      job.progress(seen, total)
      // Yield so the server answers other calls (and cancel) while a large run is mined.
      await tick()
    }
    // Enough candidates to fill `limit` after the rejected ones are hidden.
    const rejected = ctx.store.sgSets.rejected().length
    const cands = miner.candidates({ minSupport: req.minSupport, limit: req.limit + rejected })
    return { responses: seen, successResponses: success, setId: req.setId ?? null, candidates: cands.map(trim) }
  })
  let map = running.get(ctx)
  if (!map) running.set(ctx, (map = new Map()))
  map.set(jobId, done)
  // Keep the last few results in memory; older ones are read back from the job table.
  for (const old of [...map.keys()].slice(0, Math.max(0, map.size - 8))) map.delete(old)
  return { jobId }
}

function present(ctx: BackendContext, jobId: number, out: MineOutput, limit: number): SgMineResult {
  const rejected = new Set(ctx.store.sgSets.rejected())
  const inSet = new Set(out.setId !== null && ctx.store.sgSets.summary(out.setId)
    ? ctx.store.sgSets.get(out.setId).grams.map((g) => phraseKey(g.phrase)) : [])
  const visible = out.candidates.filter((c) => !rejected.has(phraseKey(c.phrase)))
  return {
    jobId,
    status: 'completed',
    responses: out.responses,
    successResponses: out.successResponses,
    hiddenRejected: out.candidates.length - visible.length,
    candidates: visible.slice(0, limit).map((c) => ({ ...c, inSet: inSet.has(phraseKey(c.phrase)) }))
  }
}

/** A mining job's candidates, with rejected phrases hidden as of now. */
export async function miningResult(ctx: BackendContext, jobId: number): Promise<SgMineResult> {
  const job = ctx.store.jobs.get(jobId)
  if (!job || job.kind !== 'sg-mine') throw new ApiError('not_found', `no mining job ${jobId}`, 'jobId')
  const row = ctx.store.db.prepare('SELECT params, result FROM jobs WHERE id = ?').get(jobId) as { params: string | null; result: string | null }
  const limit = (row.params ? (JSON.parse(row.params) as { limit?: number }).limit : undefined) ?? 300
  const pending = running.get(ctx)?.get(jobId)
  if (pending) {
    try {
      return present(ctx, jobId, await pending, limit)
    } catch (e) {
      const status = e instanceof JobCancelled ? 'cancelled' : 'failed'
      return { jobId, status, responses: 0, successResponses: 0, hiddenRejected: 0, candidates: [], error: (e as Error).message }
    }
  }
  const out = row.result ? (JSON.parse(row.result) as MineOutput | { truncated: true } | null) : null
  if (job.status === 'completed' && out && 'candidates' in out) return present(ctx, jobId, out, limit)
  const status = job.status === 'completed' || job.status === 'queued' || job.status === 'paused' ? 'interrupted' : job.status
  return {
    jobId, status, responses: 0, successResponses: 0, hiddenRejected: 0, candidates: [],
    error: job.error ?? (job.status === 'completed' ? 'the result of this job is no longer available; mine again' : `the job is ${job.status}`)
  }
}
