import { z } from 'zod'
import { channel } from './define'
import { RunId, type RunKind, type RunStatus } from './common'

export interface RunSummary {
  id: number
  name: string
  kind: RunKind
  status: RunStatus
  createdAt: number
  updatedAt: number
  backend: string | null
  tags: string[]
  /** Number of distinct steps with at least one metric. */
  steps: number
  lastStep: number | null
  rollouts: number
  sgSetId: number | null
}

export interface RunDetail extends RunSummary {
  notes: string
  config: unknown
  source: unknown
  error: string | null
  metricKeys: string[]
  /**
   * Which process trains a live training run: this back end's own (`here`), or another live one
   * (a `hicra train` in a terminal), which obeys pause, resume and stop through the workspace.
   * Null for a run that is not training.
   */
  trainer?: { here: boolean; pid: number } | null
  /**
   * Why relative and wall time mean nothing for this run (all its steps carry one time, as an
   * import without timestamps has), or null when its steps carry real times.
   */
  timeNote?: string | null
}

const RunName = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')

export const runsChannels = {
  'runs/list': channel<RunSummary[]>()(
    z.object({
      search: z.string().max(200).optional(),
      kind: z.enum(['train', 'import']).optional(),
      tag: z.string().max(100).optional()
    }).strict().default({})
  ),
  'runs/get': channel<RunDetail>()(z.object({ id: RunId }).strict()),
  'runs/delete': channel<{ deleted: true }>()(z.object({ id: RunId }).strict()),
  'runs/rename': channel<RunSummary>()(z.object({ id: RunId, name: RunName }).strict()),
  'runs/update': channel<RunSummary>()(
    z.object({
      id: RunId,
      tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
      notes: z.string().max(100_000).optional()
    }).strict()
  ),
  'runs/create': channel<RunSummary>()(
    z.object({
      name: RunName,
      kind: z.enum(['train', 'import']).default('import'),
      tags: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
      config: z.unknown().optional()
    }).strict()
  ),
  'runs/metricKeys': channel<string[]>()(z.object({ id: RunId }).strict())
}
