import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'

export interface RolloutSummary {
  id: number
  runId: number
  step: number
  promptId: string | null
  score: number | null
  correct: boolean | null
  /** The first 200 characters of the response. */
  preview: string
  nTokens: number | null
  hasSg: boolean
  /** The rollout's effective error label (manual > judge > rule > truth, as in the Errors view), or null. */
  errorType: string | null
}

export interface RolloutDetail extends RolloutSummary {
  prompt: string | null
  response: string
  answer: string | null
  gold: string | null
  /** Character spans [start, end) of every SG occurrence of the run's set in the response. */
  planningSpans: [number, number][]
  /** The Strategic Gram each span of `planningSpans` matched (same order). */
  planningGrams?: string[]
  tokens: null | {
    starts: number[]
    ends: number[]
    logprobs: number[] | null
    entropies: number[] | null
    /** 1 for a planning token, 0 for an execution token. */
    planning: number[]
  }
  labels: { source: string; errorType: string }[]
}

const Step = z.number().int().min(0)

export const rolloutsChannels = {
  'rollouts/page': channel<{ total: number; items: RolloutSummary[] }>()(
    z.object({
      runId: RunId,
      step: Step.optional(),
      stepMin: Step.optional(),
      stepMax: Step.optional(),
      correct: z.boolean().optional(),
      errorType: z.string().min(1).max(100).optional(),
      /** Case-insensitive substring of the response or the prompt. */
      text: z.string().max(500).optional(),
      hasSg: z.boolean().optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50)
    }).strict()
  ),
  'rollouts/get': channel<RolloutDetail>()(z.object({ id: z.number().int().positive() }).strict()),
  /** The steps a run has rollouts at, ascending (the Rollouts view's step filter offers them). */
  'rollouts/steps': channel<{ steps: number[] }>()(z.object({ runId: RunId }).strict())
}
