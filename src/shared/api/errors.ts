import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'
import type { ErrorTaxonomy, LabelSource } from '../../core/errorTypes'

export type { ErrorTaxonomy, LabelSource }

/** Which labels a chart counts: one source only, or each failure's effective label (manual > judge > rule > truth). */
export const LabelFilter = z.enum(['effective', 'truth', 'manual', 'rule', 'judge'])
export type LabelFilter = z.infer<typeof LabelFilter>

export interface ErrorLabelView {
  source: LabelSource
  errorType: string
  note: string | null
  createdAt: number
}

/**
 * Failures of one run per step, by error type (the paper's Figure 3). `series[type][i]` is the count
 * at `steps[i]`; `groups` sums the types of each taxonomy group; `unlabelled` counts failures without
 * a label of the filtered source. Types found in labels but missing from the taxonomy are listed too.
 */
export interface ErrorCounts {
  runId: number
  source: LabelFilter
  steps: number[]
  failures: number[]
  unlabelled: number[]
  types: string[]
  series: Record<string, number[]>
  groups: { name: string; types: string[]; counts: number[] }[]
  totals: { failures: number; labelled: number; byType: Record<string, number> }
}

export interface QueueItem {
  id: number
  runId: number
  step: number
  promptId: string | null
  prompt: string | null
  response: string
  answer: string | null
  gold: string | null
  score: number | null
  /** Character spans [start, end) of Strategic Gram occurrences (SPEC §2). */
  planningSpans: [number, number][]
  labels: ErrorLabelView[]
  /** The label to offer: judge, else rule, else truth. */
  suggestion: ErrorLabelView | null
}

export interface JudgeConfigView {
  baseUrl: string
  model: string
  /** The key is write-only: the renderer learns whether one is set, never its value. */
  hasApiKey: boolean
  /** Where the key is kept (the OS keychain in the desktop app, the workspace file otherwise). */
  keyStore: string
  /**
   * Set when this change of the base URL dropped the stored key: a key is bound to the URL it was
   * given for, and is never sent to another one.
   */
  keyDropped?: boolean
  prompt: string
  concurrency: number
  timeoutSeconds: number
}

export interface ErrorsJobReport {
  jobId: number
  kind: string
  status: string
  done: number
  total: number | null
  error: string | null
  result: unknown
}

const ErrorTypeId = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ or -').max(40)

export const TaxonomySchema = z.object({
  types: z.array(z.object({
    id: ErrorTypeId,
    group: z.string().trim().min(1, 'must not be empty').max(80),
    meaning: z.string().max(500).default('')
  }).strict()).min(1, 'a taxonomy needs at least one error type').max(20)
}).strict()

export const errorsChannels = {
  'errors/taxonomy': channel<ErrorTaxonomy>()(z.object({}).strict()),
  'errors/setTaxonomy': channel<ErrorTaxonomy>()(
    z.object({ taxonomy: TaxonomySchema.nullable() }).strict()
  ),
  'errors/counts': channel<ErrorCounts>()(
    z.object({
      runId: RunId,
      source: LabelFilter.default('effective'),
      stepMin: z.number().finite().optional(),
      stepMax: z.number().finite().optional()
    }).strict()
  ),
  'errors/queue': channel<{ total: number; items: QueueItem[] }>()(
    z.object({
      runId: RunId,
      step: z.number().int().min(0).optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(200).default(50)
    }).strict()
  ),
  'errors/label': channel<{ rolloutId: number; labels: ErrorLabelView[] }>()(
    z.object({
      rolloutId: z.number().int().positive(),
      /** Sets the manual label; null clears it. */
      errorType: ErrorTypeId.nullable().optional(),
      /** Copies that source's label to the manual one. */
      accept: z.enum(['judge', 'rule', 'truth']).optional(),
      note: z.string().max(2000).optional()
    }).strict().refine((r) => (r.errorType !== undefined) !== (r.accept !== undefined), {
      message: 'give exactly one of errorType (set or null to clear) and accept', path: ['errorType']
    })
  ),
  'errors/rules': channel<{ jobId: number }>()(z.object({ runId: RunId }).strict()),
  'errors/judgeConfig': channel<JudgeConfigView>()(z.object({}).strict()),
  'errors/setJudgeConfig': channel<JudgeConfigView>()(
    z.object({
      baseUrl: z.string().trim().max(500).refine((u) => u === '' || /^https?:\/\/[^\s]+$/.test(u), 'must be an http:// or https:// URL').optional(),
      model: z.string().trim().max(200).optional(),
      /** A new key (bound to the base URL in effect); '' removes the stored one; omitted keeps it, unless baseUrl changes. */
      apiKey: z.string().max(500).optional(),
      prompt: z.string().max(20_000).optional(),
      concurrency: z.number().int().min(1).max(32).optional(),
      timeoutSeconds: z.number().min(1).max(600).optional()
    }).strict()
  ),
  'errors/judge': channel<{ jobId: number }>()(
    z.object({
      runId: RunId,
      /** Re-judge failures that already carry a judge label. */
      redo: z.boolean().default(false),
      /** A key for this run only, never stored (the CLI reads it from an environment variable). */
      apiKey: z.string().max(500).optional(),
      limit: z.number().int().min(1).max(1_000_000).optional()
    }).strict()
  ),
  'errors/job': channel<ErrorsJobReport>()(z.object({ jobId: z.number().int().positive() }).strict())
}
