import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'

export type ImportFormat = 'verl' | 'jsonl' | 'checkpoints'
/** Mapping fields (keys) → record field names or dotted paths (values). */
export type ImportMapping = Partial<Record<
  'step' | 'prompt' | 'prompt_id' | 'response' | 'score' | 'correct' | 'answer' | 'gold' |
  'tokens' | 'token_offsets' | 'logprobs' | 'entropies' | 'error_type' | 'rollouts' | 'entry' | 'timestamp', string>>

export interface ImportPreview {
  format: ImportFormat
  /** How the records are laid out: JSON Lines, a JSON array of records, a JSON object keyed by problem id… */
  layout: string
  files: { path: string; size: number; stepHint: number | null }[]
  notes: string[]
  /** The first lines of the first file, each cut to 2,000 characters. */
  lines: { file: string; line: number; text: string }[]
  /** The mapping these lines resolve to (record level, and nested rollouts where there are some). */
  mapping: { record: ImportMapping; rollout: ImportMapping }
  /** The rollouts those lines give, as the import would read them. */
  sample: { step: number; promptId: string | null; score: number | null; correct: boolean | null; preview: string; nTokens: number | null }[]
  /** Problems in those lines (file:line and why). */
  bad: { file: string; line: number; kind: string; message: string }[]
}

export interface ImportFileSummary {
  path: string
  size: number
  status: 'imported' | 'already imported' | 'duplicate'
  lines: number
  rollouts: number
  skipped: number
  /** The run that already holds this file's content. */
  runId?: number
}

/** What an import did: the job's result. */
export interface ImportSummary {
  runId: number | null
  /** Every file was already imported: the run that holds them. */
  alreadyImported: number | null
  format: ImportFormat
  /** How the records were laid out: JSON Lines, a JSON array of records, a JSON object keyed by problem id… */
  layout?: string
  sg: string
  files: ImportFileSummary[]
  rollouts: number
  /** Rollouts stored with token spans: their `length` counts tokens, the others' words (SPEC §4). */
  tokenRollouts: number
  steps: number
  bytes: number
  skippedLines: number
  skippedByKind: Record<string, number>
  /** The first 100 problems, in full (file:line, why). */
  bad: { file: string; line: number; kind: string; message: string }[]
  notes: string[]
  /** Rollouts without an outcome (no correct, no score): stored, left out of accuracy and pass@k. */
  noOutcome?: number
  /**
   * Where the steps' wall times came from: the records' timestamp field, the files' modification
   * times, or nowhere (every step holds the import's time; the time axes are off), and in words.
   */
  wallTimes?: { from: 'records' | 'files' | 'none'; note: string; /** With none: why there are no times, without the note's consequence. */ why?: string }
  /** The other runs this import started: one per `each` entry, or a checkpoint folder's start/final files. */
  also?: { jobId: number; runId: number; name: string }[]
  mapping: { record: ImportMapping; rollout: ImportMapping }
  seconds: number
}

const Paths = z.array(z.string().min(1).max(4096)).min(1, 'give at least one file or folder').max(10_000)
const Format = z.enum(['verl', 'jsonl', 'checkpoints'])
const MappingField = z.enum(['step', 'prompt', 'prompt_id', 'response', 'score', 'correct', 'answer', 'gold',
  'tokens', 'token_offsets', 'logprobs', 'entropies', 'error_type', 'rollouts', 'entry', 'timestamp'])
const Mapping = z.partialRecord(MappingField, z.string().trim().min(1).max(200))

export const importChannels = {
  /** Starts an import job; progress arrives as `jobs/progress` (unit bytes), the summary is the job's result. */
  'import/start': channel<{ jobId: number; runId: number; also?: { jobId: number; runId: number; name: string }[] }>()(
    z.object({
      paths: Paths,
      format: Format.optional(),
      name: z.string().trim().min(1).max(200).optional(),
      mapping: Mapping.optional(),
      /** A Strategic Gram set: a JSON file or the name of a set in the workspace. */
      sg: z.string().min(1).max(4096).optional(),
      /** A tokenizer.json; responses are tokenized with it so token-level metrics exist. */
      tokenizer: z.string().min(1).max(4096).optional(),
      /** The longest line read, in MB (default 64); a longer one is skipped as a bad line. 512 is what one string can hold. */
      maxLineMb: z.number().int().min(1).max(512).optional(),
      /** One run per named entry of each record (several models' answers in one record). */
      each: z.array(z.string().trim().min(1).max(200)).min(1).max(64).optional(),
      /** One run per value of this field of the records (`temperature`: a step's rollouts at each temperature apart). */
      split: z.string().trim().min(1).max(200).optional(),
      /** Where checkpoint files without a step in their name go (default: right after the last numbered one). */
      finalStep: z.number().int().min(0).max(1e12).optional()
    }).strict()
  ),
  /** An import job's state and, once it completed, its summary. */
  'import/result': channel<{ status: string; summary: ImportSummary | null; error: string | null }>()(
    z.object({ jobId: z.number().int().positive() }).strict()
  ),
  'import/cancel': channel<{ cancelled: boolean }>()(z.object({ jobId: z.number().int().positive() }).strict()),
  'import/preview': channel<ImportPreview>()(
    z.object({
      paths: Paths,
      format: Format.optional(),
      mapping: Mapping.optional(),
      lines: z.number().int().min(1).max(100).default(5),
      finalStep: z.number().int().min(0).max(1e12).optional()
    }).strict()
  ),
  /** Points a run at another Strategic Gram set and recomputes its planning masks and metrics as a job. */
  'runs/setSgSet': channel<{ jobId: number }>()(
    z.object({ runId: RunId, sg: z.string().min(1).max(4096) }).strict()
  )
}
