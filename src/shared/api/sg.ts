import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'
import type { MinedCandidate } from '../../core/mining'
import { SG_CATEGORIES, SG_SOURCES, type SgCategory, type SgSource } from '../../core/strategicGrams'

/** One Strategic Gram as stored and exchanged (SPEC §2). */
export interface SgGram {
  phrase: string
  category: SgCategory
  source: SgSource
  note?: string
}

export interface SgSetSummary {
  id: number
  name: string
  note: string
  createdAt: number
  updatedAt: number
  headVersion: number
  gramCount: number
}

/** A set at one version (the head unless another was asked for). */
export interface SgSetDetail extends SgSetSummary {
  version: number
  message: string
  grams: SgGram[]
}

export interface SgVersionInfo {
  version: number
  createdAt: number
  message: string
  gramCount: number
}

export interface SgDiff {
  from: number
  to: number
  /** In `to` but not in `from`, by normalized phrase. */
  added: SgGram[]
  removed: SgGram[]
  /** Same normalized phrase, different spelling, category, source or note. */
  changed: { from: SgGram; to: SgGram }[]
}

/** A mining candidate as the curation view shows it: the core's MinedCandidate, marked when already in the set. */
export interface SgCandidate extends MinedCandidate {
  /** Already in the set the mining was asked for (by normalized phrase). */
  inSet: boolean
}

export interface SgMineResult {
  jobId: number
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'
  responses: number
  successResponses: number
  /** Candidates hidden because the user rejected them before. */
  hiddenRejected: number
  candidates: SgCandidate[]
  error?: string
}

export interface SgEvalCounts {
  chunks: number
  positives: number
  predicted: number
  truePositives: number
  precision: number | null
  recall: number | null
  f1: number | null
}

export interface SgEvalResult {
  set: string
  dirs: string[]
  files: number
  planningTags: string[]
  overall: SgEvalCounts
  /** Per function tag: that tag's chunks as the positives, the same predictions. */
  perTag: Record<string, SgEvalCounts>
  /** Per gram: chunks it fires in, and how many of those are planning. */
  perGram: { phrase: string; chunks: number; planningChunks: number }[]
}

export interface SgSpan {
  start: number
  end: number
  gram: number
}

export interface SgCoverageSample {
  rolloutId: number
  runId: number
  step: number
  correct: boolean | null
  score: number | null
  text: string
  spans: SgSpan[]
  /** Spans that only the baseline phrases yield (removed planning) and only the new set yields (added). */
  addedSpans: SgSpan[]
  removedSpans: SgSpan[]
}

export interface SgCoverageStep {
  runId: number
  step: number
  rollouts: number
  planning_ratio: number
  semantic_entropy: number
  baseline?: { planning_ratio: number; semantic_entropy: number }
}

export interface SgGramStats {
  phrase: string
  occurrences: number
  responses: number
  successResponses: number
  /** successResponses / responses; null when it never occurs. */
  successShare: number | null
}

export interface SgCoverage {
  rollouts: number
  steps: SgCoverageStep[]
  gramStats: SgGramStats[]
  samples: SgCoverageSample[]
  /** Phrases in the set and not in the baseline, and the other way round. */
  added: string[]
  removed: string[]
  /** Responses whose planning spans differ between the baseline and the set. */
  responsesChanged: number
}

export const SgSetId = z.number().int().positive()
const SetName = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')
const Message = z.string().max(2000, 'must be at most 2000 characters')
export const SgGramSchema = z.object({
  phrase: z.string().max(500, 'must be at most 500 characters'),
  category: z.enum(SG_CATEGORIES as [SgCategory, ...SgCategory[]]),
  source: z.enum(SG_SOURCES as [SgSource, ...SgSource[]]).default('manual'),
  note: z.string().max(2000).optional()
}).strict()
const Grams = z.array(SgGramSchema).max(20_000, 'at most 20000 grams')
const Version = z.number().int().positive()
const RunIds = z.array(RunId).min(1, 'pick at least one run').max(50)
const Steps = { stepMin: z.number().int().min(0).optional(), stepMax: z.number().int().min(0).optional() }

export const sgChannels = {
  'sg/list': channel<SgSetSummary[]>()(z.object({}).strict().default({})),
  /** The built-in default set (resources/sg/default.json), to add to the workspace. */
  'sg/default': channel<{ name: string; grams: SgGram[] }>()(z.object({}).strict().default({})),
  'sg/get': channel<SgSetDetail>()(
    z.object({ id: SgSetId.optional(), name: z.string().min(1).optional(), version: Version.optional() }).strict()
  ),
  'sg/create': channel<SgSetDetail>()(
    z.object({ name: SetName, grams: Grams.default([]), note: z.string().max(10_000).default(''), message: Message.default('created') }).strict()
  ),
  'sg/duplicate': channel<SgSetDetail>()(z.object({ id: SgSetId, name: SetName, version: Version.optional() }).strict()),
  'sg/rename': channel<SgSetSummary>()(z.object({ id: SgSetId, name: SetName }).strict()),
  'sg/delete': channel<{ deleted: true }>()(z.object({ id: SgSetId }).strict()),
  'sg/save': channel<SgSetDetail>()(
    z.object({
      id: SgSetId,
      grams: Grams,
      message: Message.trim().min(1, 'say what changed'),
      /** The version the edit started from; a newer head means someone else saved in between. */
      baseVersion: z.number().int().min(0).optional()
    }).strict()
  ),
  'sg/versions': channel<SgVersionInfo[]>()(z.object({ id: SgSetId }).strict()),
  'sg/diff': channel<SgDiff>()(z.object({ id: SgSetId, from: Version, to: Version }).strict()),
  'sg/revert': channel<SgSetDetail>()(z.object({ id: SgSetId, version: Version, message: Message.optional() }).strict()),
  'sg/import': channel<SgSetDetail>()(
    z.object({
      /** The JSON text of a set file (SPEC-shaped `{name, grams}` or a list of phrases). */
      json: z.string().max(20_000_000),
      fileName: z.string().max(1000).optional(),
      /** Overrides the file's name; a clash with an existing set is an error unless `replace`. */
      name: SetName.optional(),
      /** Import into the existing set of that name as a new version. */
      replace: z.boolean().default(false)
    }).strict()
  ),
  'sg/export': channel<{ name: string; version: number; json: string }>()(
    z.object({ id: SgSetId, version: Version.optional() }).strict()
  ),
  'sg/mine': channel<{ jobId: number }>()(
    z.object({
      runIds: RunIds,
      ...Steps,
      /** Mark candidates already in this set. */
      setId: SgSetId.optional(),
      minN: z.number().int().min(2).max(8).default(3),
      maxN: z.number().int().min(2).max(8).default(5),
      minSupport: z.number().int().min(1).default(2),
      limit: z.number().int().min(1).max(2000).default(300)
    }).strict()
  ),
  /** The candidates of a mining job; waits for it when it still runs in this process. */
  'sg/candidates': channel<SgMineResult>()(z.object({ jobId: z.number().int().positive() }).strict()),
  'sg/reject': channel<{ rejected: string[] }>()(
    z.object({ phrases: z.array(z.string().max(500)).min(1).max(5000), undo: z.boolean().default(false) }).strict()
  ),
  'sg/rejected': channel<string[]>()(z.object({}).strict().default({})),
  'sg/eval': channel<SgEvalResult>()(
    z.object({
      id: SgSetId.optional(),
      version: Version.optional(),
      /** Evaluate these grams instead of a stored set (unsaved edits). */
      grams: z.array(z.string().max(500)).max(20_000).optional(),
      dirs: z.array(z.string().min(1, 'must not be empty').max(4096)).min(1, 'give at least one folder').max(50)
    }).strict()
  ),
  'sg/coverage': channel<SgCoverage>()(
    z.object({
      /** The phrases to preview (the editor's current rows, saved or not). */
      phrases: z.array(z.string().max(500)).max(20_000),
      /** What to compare against (e.g. the saved head before this edit). */
      baseline: z.array(z.string().max(500)).max(20_000).optional(),
      runIds: RunIds,
      ...Steps,
      samples: z.number().int().min(0).max(200).default(6),
      /** Responses read per step for the per-step figures. */
      perStep: z.number().int().min(1).max(100_000).default(512)
    }).strict()
  )
}
