import { z } from 'zod'

export const RunId = z.number().int().positive()
export const Empty = z.object({}).strict()

export type RunKind = 'train' | 'import'
export type RunStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'stopped'
  | 'interrupted'
  | 'importing'
  | 'imported'
