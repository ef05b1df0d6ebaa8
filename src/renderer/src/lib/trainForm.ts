import { z } from 'zod'
import { ALGOS, BACKENDS, TASKS, TrainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../../engine/config'

// The page's CSP forbids eval; zod would otherwise probe `new Function` and log a CSP violation.
z.config({ jitless: true })

export { ALGOS, BACKENDS, TASKS }

/** Model sizes offered by the form: layers × width × heads of the policy transformer. */
export const MODEL_SIZES = {
  tiny: { layers: 1, dModel: 64, heads: 4 },
  compact: { layers: 2, dModel: 64, heads: 4 },
  small: { layers: 2, dModel: 128, heads: 4 },
  medium: { layers: 4, dModel: 256, heads: 8 },
  large: { layers: 6, dModel: 512, heads: 8 }
} as const
export type ModelSize = keyof typeof MODEL_SIZES

export const ALGO_LABELS: Record<(typeof ALGOS)[number], string> = {
  grpo: 'GRPO',
  entropy: 'GRPO + entropy bonus',
  hicra: 'HICRA (A + α|A| on planning tokens)',
  highent: 'high-entropy tokens only'
}

export interface TrainForm {
  name: string
  task: (typeof TASKS)[number]
  algo: (typeof ALGOS)[number]
  alpha: number
  groupSize: number
  batchPrompts: number
  steps: number
  seed: number
  modelSize: ModelSize
  backend: (typeof BACKENDS)[number]
  /** Supervised warm-up steps on the task's noisy teacher before RL (0 skips it). */
  warmupSteps: number
  /** Test-set evaluation every this many steps (0: never). */
  evalEvery: number
  // The advanced section: the optimiser, sampling and objective settings most often changed.
  lr: number
  temperature: number
  clipLow: number
  clipHigh: number
  betaEnt: number
  warmupLr: number
  warmupBatch: number
}

/** The form's starting values: the engine's own defaults for `task` (its per-task defaults included). */
export function defaultForm(task?: (typeof TASKS)[number]): TrainForm {
  const d = TrainConfigSchema.parse(task ? { task } : {})
  const size = (Object.keys(MODEL_SIZES) as ModelSize[]).find((k) =>
    MODEL_SIZES[k].layers === d.model.layers && MODEL_SIZES[k].dModel === d.model.dModel && MODEL_SIZES[k].heads === d.model.heads) ?? 'small'
  return {
    name: '', task: d.task, algo: d.algo, alpha: d.alpha, groupSize: d.groupSize, batchPrompts: d.batchPrompts,
    steps: d.steps, seed: d.seed, modelSize: size, backend: d.backend, warmupSteps: d.warmup.steps, evalEvery: d.eval.every,
    lr: d.lr, temperature: d.temperature, clipLow: d.clipLow, clipHigh: d.clipHigh, betaEnt: d.betaEnt,
    warmupLr: d.warmup.lr, warmupBatch: d.warmup.batchSize
  }
}

/** The fields whose defaults differ by task (engine TASK_DEFAULTS): the form sends them explicitly. */
const TASK_DEPENDENT = ['modelSize', 'batchPrompts', 'warmupSteps', 'warmupLr', 'warmupBatch'] as const

/**
 * The form after its task changed to `task`: each task-dependent field the user left at the old
 * task's default takes the new task's default, and an edited one stays as the user set it. Without
 * this the form, which always sends these fields, would override `strategy`'s smaller defaults.
 */
export function withTask(f: TrainForm, task: (typeof TASKS)[number]): TrainForm {
  const before = defaultForm(f.task)
  const after = defaultForm(task)
  const next: TrainForm = { ...f, task }
  for (const key of TASK_DEPENDENT) if (f[key] === before[key]) (next as unknown as Record<string, unknown>)[key] = after[key]
  return next
}

export function formToConfig(f: TrainForm): TrainConfigInput {
  return {
    task: f.task, algo: f.algo, alpha: f.alpha, groupSize: f.groupSize, batchPrompts: f.batchPrompts,
    steps: f.steps, seed: f.seed, backend: f.backend, model: { ...MODEL_SIZES[f.modelSize] },
    warmup: { steps: f.warmupSteps, lr: f.warmupLr, batchSize: f.warmupBatch }, eval: { every: f.evalEvery },
    lr: f.lr, temperature: f.temperature, clipLow: f.clipLow, clipHigh: f.clipHigh, betaEnt: f.betaEnt
  }
}

/** Where a nested config path is edited in the form. */
function fieldOf(path: readonly PropertyKey[]): keyof TrainForm {
  const [head, sub] = path.map(String)
  if (head === 'model') return 'modelSize'
  if (head === 'warmup' && sub === 'steps') return 'warmupSteps'
  if (head === 'warmup' && sub === 'lr') return 'warmupLr'
  if (head === 'warmup' && sub === 'batchSize') return 'warmupBatch'
  if (head === 'eval' && sub === 'every') return 'evalEvery'
  return head as keyof TrainForm
}

/**
 * Validates the form with the engine's own schema (the one its API handler and worker use), so the
 * form refuses exactly what the engine would, and says which field is wrong.
 */
export function validateTrainForm(f: TrainForm): { config: TrainConfig | null; errors: Partial<Record<keyof TrainForm, string>> } {
  const errors: Partial<Record<keyof TrainForm, string>> = {}
  if (f.name.length > 200) errors.name = 'must be at most 200 characters'
  const r = TrainConfigSchema.safeParse(formToConfig(f))
  if (!r.success) {
    for (const issue of r.error.issues) {
      const field = fieldOf(issue.path)
      errors[field] ??= field === 'modelSize' ? `${issue.path.join('.')}: ${issue.message}` : issue.message
    }
  }
  return { config: r.success && Object.keys(errors).length === 0 ? r.data : null, errors }
}
