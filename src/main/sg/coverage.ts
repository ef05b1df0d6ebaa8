import { ApiError } from '../../shared/errors'
import type { ParsedReq } from '../../shared/contract'
import type { SgCoverage, SgCoverageSample, SgCoverageStep, SgGramStats, SgSpan } from '../../shared/api/sg'
import { compileMatcher, type Occurrence } from '../../core/matcher'
import { StepMetricsAccumulator } from '../../core/metrics'
import type { BackendContext } from '../context'
import { phraseKey } from '../store/sgSets'
import { isCorrect, stepRollouts, stepsInScope, type SgRollout } from './rollouts'

// Responses read in all (steps × perStep), so a preview stays interactive on large runs.
const MAX_ROLLOUTS = 60_000

/** The phrases a saved set could hold: 2–8 words, first spelling of each normalized phrase. */
function usable(phrases: readonly string[]): string[] {
  const seen = new Set<string>()
  return phrases.filter((p) => {
    const k = phraseKey(p)
    const n = k === '' ? 0 : k.split(' ').length
    if (n < 2 || n > 8 || seen.has(k)) return false
    seen.add(k)
    return true
  })
}

const spansOf = (occ: readonly Occurrence[]): SgSpan[] => occ.map((o) => ({ start: o.start, end: o.end, gram: o.gram }))

/** Character ranges covered by `a` and not by `b` (merged spans), as spans with gram -1. */
function difference(a: readonly Occurrence[], b: readonly Occurrence[], textLength: number): SgSpan[] {
  const cover = (occ: readonly Occurrence[]): Uint8Array => {
    const m = new Uint8Array(textLength)
    for (const o of occ) m.fill(1, o.start, o.end)
    return m
  }
  const ma = cover(a)
  const mb = cover(b)
  const out: SgSpan[] = []
  let start = -1
  for (let i = 0; i <= textLength; i++) {
    const inDiff = i < textLength && ma[i] === 1 && mb[i] === 0
    if (inDiff && start < 0) start = i
    if (!inDiff && start >= 0) {
      out.push({ start, end: i, gram: -1 })
      start = -1
    }
  }
  return out
}

/**
 * What a set (the editor's current phrases, saved or not) yields on the chosen runs: SPEC §4
 * planning ratio and semantic entropy per step (and the baseline's, to show the effect of an
 * edit), per-gram occurrences with their share in successful responses, and sample responses with
 * their planning spans; samples whose spans changed against the baseline come first.
 */
export function coverage(ctx: BackendContext, req: ParsedReq<'sg/coverage'>): SgCoverage {
  req.runIds.forEach((id, i) => {
    if (!ctx.store.runs.get(id)) throw new ApiError('not_found', `run ${id} does not exist`, `runIds.${i}`)
  })
  if (req.stepMin !== undefined && req.stepMax !== undefined && req.stepMin > req.stepMax) {
    throw new ApiError('invalid_argument', 'stepMin must not exceed stepMax', 'stepMin')
  }
  const phrases = usable(req.phrases)
  const matcher = compileMatcher(phrases)
  const baseline = req.baseline ? usable(req.baseline) : null
  const baseMatcher = baseline ? compileMatcher(baseline) : null
  const keys = new Set(phrases.map(phraseKey))
  const baseKeys = new Set((baseline ?? []).map(phraseKey))
  const added = baseline ? phrases.filter((p) => !baseKeys.has(phraseKey(p))) : []
  const removed = baseline ? baseline.filter((p) => !keys.has(phraseKey(p))) : []

  const steps = stepsInScope(ctx.store.db, req)
  const perStep = Math.max(1, Math.min(req.perStep, Math.floor(MAX_ROLLOUTS / Math.max(1, steps.length))))
  const stats = phrases.map(() => ({ occurrences: 0, responses: 0, success: 0 }))
  const changed: SgCoverageSample[] = []
  const withSpans: SgCoverageSample[] = []
  const plain: SgCoverageSample[] = []
  let responsesChanged = 0
  let total = 0
  const out: SgCoverageStep[] = []

  const sample = (r: SgRollout, occ: Occurrence[], baseOcc: Occurrence[] | null, differs: boolean): SgCoverageSample => ({
    rolloutId: r.id, runId: r.runId, step: r.step, correct: r.correct ?? (r.score === null ? null : r.score > 0), score: r.score,
    text: r.response, spans: spansOf(occ),
    addedSpans: baseOcc && differs ? difference(occ, baseOcc, r.response.length) : [],
    removedSpans: baseOcc && differs ? difference(baseOcc, occ, r.response.length) : []
  })

  for (const { runId, step } of steps) {
    const acc = new StepMetricsAccumulator(matcher)
    const baseAcc = baseMatcher ? new StepMetricsAccumulator(baseMatcher) : null
    const rows = stepRollouts(ctx.store.db, runId, step, perStep)
    for (const r of rows) {
      total++
      const occ = matcher.findOccurrences(r.response)
      const spans = r.tokenStarts && r.tokenEnds && r.tokenStarts.length === r.tokenEnds.length
        ? { tokenStarts: r.tokenStarts, tokenEnds: r.tokenEnds } : {}
      acc.add({ text: r.response, score: r.score ?? undefined, correct: r.correct ?? undefined, occurrences: occ, ...spans })
      const ok = isCorrect(r)
      const fired = new Set<number>()
      for (const o of occ) {
        stats[o.gram]!.occurrences++
        fired.add(o.gram)
      }
      for (const g of fired) {
        stats[g]!.responses++
        if (ok) stats[g]!.success++
      }
      let baseOcc: Occurrence[] | null = null
      let differs = false
      if (baseMatcher && baseAcc) {
        baseOcc = baseMatcher.findOccurrences(r.response)
        baseAcc.add({ text: r.response, score: r.score ?? undefined, correct: r.correct ?? undefined, occurrences: baseOcc, ...spans })
        const key = (list: Occurrence[]) => list.map((o) => `${o.start}:${o.end}`).sort().join(',')
        differs = key(occ) !== key(baseOcc)
        if (differs) responsesChanged++
      }
      const bucket = differs ? changed : occ.length > 0 ? withSpans : plain
      if (bucket.length < req.samples) bucket.push(sample(r, occ, baseOcc, differs))
    }
    const m = acc.result()
    const row: SgCoverageStep = { runId, step, rollouts: rows.length, planning_ratio: m.planning_ratio ?? 0, semantic_entropy: m.semantic_entropy ?? 0 }
    if (baseAcc) {
      const b = baseAcc.result()
      row.baseline = { planning_ratio: b.planning_ratio ?? 0, semantic_entropy: b.semantic_entropy ?? 0 }
    }
    out.push(row)
  }
  const gramStats: SgGramStats[] = phrases.map((phrase, g) => ({
    phrase,
    occurrences: stats[g]!.occurrences,
    responses: stats[g]!.responses,
    successResponses: stats[g]!.success,
    successShare: stats[g]!.responses > 0 ? stats[g]!.success / stats[g]!.responses : null
  }))
  return {
    rollouts: total,
    steps: out,
    gramStats,
    samples: [...changed, ...withSpans, ...plain].slice(0, req.samples),
    added,
    removed,
    responsesChanged
  }
}
