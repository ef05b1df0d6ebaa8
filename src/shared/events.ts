import type { JobProgress } from './api/jobs'
import type { TrainStepPayload } from './api/train'
import type { ExperimentProgress } from './api/experiments'

/** Events the back end pushes to every window (IPC) or SSE client (HTTP). */
export interface EventMap {
  'jobs/progress': JobProgress
  /** A run was created, renamed, deleted or changed status; views refresh their lists. */
  'runs/changed': { runId: number; change: 'created' | 'updated' | 'deleted' }
  /** New metric points were stored for a run (live charts re-query). */
  'metrics/appended': { runId: number; steps: number[] }
  /** Error labels of a run changed (a label set, a rules or judge chunk stored); Figure 3 re-queries. */
  'errors/changed': { runId: number }
  /** A training run reported a step (its metrics; rollouts are in the store). */
  'train/step': TrainStepPayload
  /** An experiment's grid progressed (a step of one of its runs, a run started or ended). */
  'experiments/progress': ExperimentProgress
}

export type EventName = keyof EventMap
export const eventNames: readonly EventName[] = ['jobs/progress', 'runs/changed', 'metrics/appended', 'errors/changed', 'train/step', 'experiments/progress']
