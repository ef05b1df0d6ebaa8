import { z } from 'zod'
import { channel } from './define'
import { RunId } from './common'
import { TrainConfigSchema } from '../../engine/config'

// Training runs: start one (the config is validated here, unknown keys rejected), then stop,
// pause or resume it. `train/resume` also restarts an interrupted or stopped run from its last
// checkpoint. Progress arrives as `train/step` events (and `jobs/progress`).

/**
 * The name a training run gets when none is given, the same from the CLI, the API and the form:
 * algorithm, task and seed, e.g. `hicra route seed 1`.
 */
export function trainRunName(c: { algo: string; task: string; seed: number }): string {
  return `${c.algo} ${c.task} seed ${c.seed}`
}

export interface TrainStarted {
  runId: number
  jobId: number
}

export const trainChannels = {
  'train/start': channel<TrainStarted>()(
    z.strictObject({
      config: TrainConfigSchema.prefault({}),
      name: z.string().min(1).max(200).optional(),
      tags: z.array(z.string().min(1).max(100)).max(50).optional()
    })
  ),
  'train/stop': channel<{ stopping: boolean }>()(z.strictObject({ runId: RunId })),
  'train/pause': channel<{ paused: boolean }>()(z.strictObject({ runId: RunId })),
  'train/resume': channel<{ resumed: boolean; restarted: boolean; jobId: number | null }>()(z.strictObject({ runId: RunId }))
}

/** The `train/step` event: one step's metrics, as soon as the trainer reports them. */
export interface TrainStepPayload {
  runId: number
  step: number
  metrics: Record<string, number>
}
