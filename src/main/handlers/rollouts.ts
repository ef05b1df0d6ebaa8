import { compileMatcher, planningMask, type SgMatcher } from '../../core'
import { ApiError } from '../../shared/errors'
import type { RolloutDetail, RolloutSummary } from '../../shared/api/rollouts'
import type { Db } from '../store'
import { blobToFloat32, blobToInt32, blobToUint8 } from '../store/blobs'
import { RolloutsRepo, type PageRow } from '../store/rollouts'
import { storedPhrases } from '../import/sgResolve'
import type { HandlersOf } from './types'

const repos = new WeakMap<Db, RolloutsRepo>()
function repo(db: Db): RolloutsRepo {
  let r = repos.get(db)
  if (!r) repos.set(db, (r = new RolloutsRepo(db)))
  return r
}

// Compiled matchers of recently viewed SG set versions (compiling a large set takes milliseconds).
const matchers = new Map<string, SgMatcher & { phrases?: readonly string[] }>()
function matcherOf(db: Db, runId: number): (SgMatcher & { phrases?: readonly string[] }) | null {
  const run = db.prepare('SELECT sg_set_id AS setId, sg_set_version AS version FROM runs WHERE id = ?').get(runId) as { setId: number | null; version: number | null } | undefined
  if (!run || run.setId === null) return null
  const key = `${db.name}:${run.setId}:${run.version}`
  let m = matchers.get(key)
  if (!m) {
    const phrases = storedPhrases(db, run.setId, run.version)
    if (!phrases) return null
    // The phrases ride along so that a planning span can name the gram it matched.
    m = Object.assign(compileMatcher(phrases), { phrases: phrases as readonly string[] })
    if (matchers.size >= 8) matchers.delete(matchers.keys().next().value!)
    matchers.set(key, m)
  }
  return m
}

function summary(r: PageRow): RolloutSummary {
  return {
    id: r.id,
    runId: r.run_id,
    step: r.step,
    promptId: r.prompt_id,
    score: r.score,
    correct: r.correct === null ? null : r.correct === 1,
    preview: r.preview,
    nTokens: r.n_tokens,
    hasSg: r.has_sg === 1,
    errorType: r.error_type
  }
}

/** The SG occurrences as sorted character spans, each with the phrase of the gram it matched. */
function spansWithGrams(occ: readonly { start: number; end: number; gram: number }[], phrases: readonly string[]) {
  const sorted = [...occ].sort((x, y) => x.start - y.start || x.end - y.end)
  return {
    planningSpans: sorted.map((o) => [o.start, o.end] as [number, number]),
    planningGrams: sorted.map((o) => phrases[o.gram] ?? `gram ${o.gram}`)
  }
}

// One seek on (run_id, step) per distinct step, never a scan of the rollouts themselves.
const stepsSql = `
  WITH RECURSIVE s(step) AS (
    SELECT min(step) FROM rollouts WHERE run_id = @run
    UNION ALL
    SELECT (SELECT min(step) FROM rollouts WHERE run_id = @run AND step > s.step) FROM s WHERE s.step IS NOT NULL)
  SELECT step FROM s WHERE step IS NOT NULL`

export const rolloutsHandlers: HandlersOf<'rollouts/page' | 'rollouts/get' | 'rollouts/steps'> = {
  'rollouts/steps': (req, ctx) => {
    if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
    return { steps: ctx.store.db.prepare(stepsSql).pluck().all({ run: req.runId }) as number[] }
  },
  'rollouts/page': (req, ctx) => {
    if (!ctx.store.runs.get(req.runId)) throw new ApiError('not_found', `run ${req.runId} does not exist`, 'runId')
    if (req.stepMin !== undefined && req.stepMax !== undefined && req.stepMin > req.stepMax) {
      throw new ApiError('invalid_argument', 'rollouts/page: stepMin must not exceed stepMax', 'stepMin')
    }
    const { total, rows } = repo(ctx.store.db).page(req)
    return { total, items: rows.map(summary) }
  },
  'rollouts/get': (req, ctx) => {
    const rp = repo(ctx.store.db)
    const r = rp.get(req.id)
    if (!r) throw new ApiError('not_found', `rollout ${req.id} does not exist`, 'id')
    const labels = rp.labels(r.id)
    const m = matcherOf(ctx.store.db, r.run_id)
    const occ = m ? m.findOccurrences(r.response) : []
    const starts = blobToInt32(r.token_starts)
    const ends = blobToInt32(r.token_ends)
    let tokens: RolloutDetail['tokens'] = null
    if (starts && ends) {
      const mask = blobToUint8(r.planning_mask) ?? planningMask(starts, ends, occ)
      const lp = blobToFloat32(r.logprobs)
      const en = blobToFloat32(r.entropies)
      tokens = { starts: [...starts], ends: [...ends], logprobs: lp ? [...lp] : null, entropies: en ? [...en] : null, planning: [...mask] }
    }
    return {
      id: r.id,
      runId: r.run_id,
      step: r.step,
      promptId: r.prompt_id,
      score: r.score,
      correct: r.correct === null ? null : r.correct === 1,
      preview: r.response.slice(0, 200),
      nTokens: r.n_tokens,
      hasSg: r.has_sg === 1,
      errorType: labels[0]?.errorType ?? null,
      prompt: r.prompt,
      response: r.response,
      answer: r.answer,
      gold: r.gold,
      ...spansWithGrams(occ, m?.phrases ?? []),
      tokens,
      labels
    }
  }
}
