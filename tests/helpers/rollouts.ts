import type { Db } from '../../src/main/store'
import { toBlob } from '../../src/main/store/blobs'

export interface TestRollout {
  step: number
  response: string
  score?: number | null
  correct?: boolean | null
  answer?: string | null
  gold?: string | null
  prompt?: string | null
  promptId?: string | null
  extra?: unknown
  tokens?: { starts: number[]; ends: number[]; entropies?: number[]; logprobs?: number[]; planning?: number[] }
}

/**
 * Writes rollouts straight into the table, the way an importer or the trainer stores them, so
 * tests of the views that read rollouts do not depend on either.
 */
export function insertRollouts(db: Db, runId: number, rows: readonly TestRollout[]): number[] {
  const stmt = db.prepare(`INSERT INTO rollouts (run_id, step, prompt_id, prompt, response, score, correct, answer, gold, n_tokens,
    token_starts, token_ends, logprobs, entropies, planning_mask, has_sg, extra)
    VALUES (@runId, @step, @promptId, @prompt, @response, @score, @correct, @answer, @gold, @nTokens,
    @starts, @ends, @logprobs, @entropies, @planning, @hasSg, @extra)`)
  const ids: number[] = []
  db.transaction(() => {
    for (const r of rows) {
      const t = r.tokens
      const info = stmt.run({
        runId, step: r.step, promptId: r.promptId ?? null, prompt: r.prompt ?? null, response: r.response,
        score: r.score ?? null, correct: r.correct === undefined || r.correct === null ? null : r.correct ? 1 : 0,
        answer: r.answer ?? null, gold: r.gold ?? null, nTokens: t ? t.starts.length : null,
        starts: t ? toBlob(Int32Array.from(t.starts)) : null,
        ends: t ? toBlob(Int32Array.from(t.ends)) : null,
        logprobs: t?.logprobs ? toBlob(Float32Array.from(t.logprobs)) : null,
        entropies: t?.entropies ? toBlob(Float32Array.from(t.entropies)) : null,
        planning: t?.planning ? toBlob(Uint8Array.from(t.planning)) : null,
        hasSg: t?.planning?.some((p) => p) ? 1 : 0,
        extra: r.extra === undefined ? null : JSON.stringify(r.extra)
      })
      ids.push(Number(info.lastInsertRowid))
    }
  })()
  return ids
}
