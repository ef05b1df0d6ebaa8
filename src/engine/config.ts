import { z } from 'zod'

// The training configuration, validated at every boundary (API handler, CLI, worker). This file
// must stay free of tfjs so that src/shared, the CLI and the renderer can import it cheaply.
// Objects are strict: an unknown key is a typo, and a silently ignored typo ruins an experiment.

export const TASKS = ['route', 'countdown', 'strategy'] as const
export const ALGOS = ['grpo', 'entropy', 'hicra', 'highent'] as const
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const

export type TaskName = (typeof TASKS)[number]
export type AlgoName = (typeof ALGOS)[number]
export type BackendChoice = (typeof BACKENDS)[number]

const int = (min: number, max: number) => z.number().int().min(min).max(max)
const rate = z.number().min(0).max(1)

export const ModelConfigSchema = z.strictObject({
  layers: int(1, 24).default(2),
  dModel: int(8, 2048).default(128),
  heads: int(1, 32).default(4),
  /** Context length in tokens: prompt (left-padded) plus response. */
  context: int(16, 1024).default(80),
  ffMult: int(1, 8).default(4)
}).refine((m) => m.dModel % m.heads === 0, { message: 'dModel must be divisible by heads', path: ['heads'] })

export const WarmupConfigSchema = z.strictObject({
  /** Supervised steps on noisy-teacher traces before RL (0 skips the warm-up). */
  steps: int(0, 100_000).default(300),
  batchSize: int(1, 4096).default(64),
  lr: z.number().positive().max(1).default(3e-3),
  /** Probability that the teacher commits to a wrong strategy (the base model's planning weakness). */
  strategyErrorRate: rate.default(0.35),
  /** Per-step probability of an arithmetic slip in the teacher's execution. */
  executionErrorRate: rate.default(0.12),
  /** Probability that a wrong strategy is caught by a reflective phrase ("wait, ..."). */
  reflectionRate: rate.default(0.3),
  /**
   * Seed of the base policy (initial weights and warm-up data); default: the run's `seed`. Runs that
   * share it (and task, model, warm-up settings, backend) share one cached base, so their `seed`
   * varies only the RL run, the paper's protocol of one base model and several RL runs.
   */
  seed: int(0, 2 ** 31 - 1).optional()
})

export const EvalConfigSchema = z.strictObject({
  /** Evaluate on the test split every `every` steps (0 disables periodic evaluation). */
  every: int(0, 1_000_000).default(25),
  /** Test problems per evaluation. */
  problems: int(1, 100_000).default(32),
  /** Samples per problem: Pass@1 is averaged over them (DeepSeek-R1 protocol). */
  samples: int(1, 256).default(4),
  temperature: z.number().min(0).max(5).default(0.6),
  topP: z.number().gt(0).max(1).default(0.95),
  passK: int(1, 256).default(4)
})

const TrainConfigObject = z.strictObject({
  task: z.enum(TASKS).default('route'),
  algo: z.enum(ALGOS).default('hicra'),
  steps: int(1, 1_000_000).default(100),
  seed: int(0, 2 ** 31 - 1).default(1),
  backend: z.enum(BACKENDS).default('auto'),
  model: ModelConfigSchema.prefault({}),
  warmup: WarmupConfigSchema.prefault({}),
  eval: EvalConfigSchema.prefault({}),
  /** B: prompts per step. */
  batchPrompts: int(1, 4096).default(16),
  /** G: responses per prompt (the GRPO group). */
  groupSize: int(1, 256).default(8),
  temperature: z.number().gt(0).max(5).default(1),
  topP: z.number().gt(0).max(1).default(1),
  // RL moves a warmed-up policy: with Adam, 2e-4 already drifted and 5e-4 collapsed it on `route`
  // (entropy up, accuracy down), while 3e-5 to 8e-5 improved it steadily (docs/engine.md).
  lr: z.number().positive().max(1).default(5e-5),
  adamBeta1: z.number().min(0).lt(1).default(0.9),
  adamBeta2: z.number().min(0).lt(1).default(0.999),
  /** Global gradient-norm clip (0 disables). */
  gradClip: z.number().min(0).default(1),
  ppoEpochs: int(1, 100).default(1),
  /** Responses per PPO minibatch (one optimizer step each). */
  minibatchSize: int(1, 65_536).default(64),
  clipLow: z.number().min(0).max(1).default(0.2),
  clipHigh: z.number().min(0).max(10).default(0.28),
  normalizeStd: z.boolean().default(false),
  /** HICRA's α: planning tokens get A + α|A|. */
  alpha: z.number().min(0).max(1).default(0.2),
  /** β_ent of the entropy-regularized baseline. */
  betaEnt: z.number().min(0).max(1).default(0.001),
  /** Fraction of highest-entropy tokens the `highent` baseline updates (Wang et al. 2025c: 0.2). */
  highEntropyFraction: z.number().gt(0).max(1).default(0.2),
  /** Save a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: int(0, 1_000_000).default(50),
  /** Rollouts kept per step for the sink (0 = all of them). */
  rolloutsPerStep: int(0, 1_000_000).default(0)
})

/**
 * Defaults that differ by task (a key the config gives always wins; the rest of the table above
 * applies). `strategy` is sized to warm up in about a minute and step in about a second on two CPU
 * cores: a 0.1 M-parameter policy, 350 warm-up steps of 32 traces, 8 prompts × 8 responses an RL
 * step, and a teacher that misreads the plan often and rarely reflects (docs/engine.md, "strategy").
 */
export const TASK_DEFAULTS: Partial<Record<TaskName, { model?: Partial<ModelConfig>; warmup?: Partial<WarmupConfig>; batchPrompts?: number }>> = {
  strategy: {
    batchPrompts: 8,
    model: { layers: 2, dModel: 64, heads: 4, context: 100, ffMult: 4 },
    warmup: { steps: 350, batchSize: 32, lr: 5e-3, strategyErrorRate: 0.5, executionErrorRate: 0.1, reflectionRate: 0.15 }
  }
}

function withTaskDefaults(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input
  const raw = input as Record<string, unknown>
  const defaults = typeof raw.task === 'string' ? TASK_DEFAULTS[raw.task as TaskName] : undefined
  if (!defaults) return input
  const out: Record<string, unknown> = { ...raw }
  for (const [key, d] of Object.entries(defaults)) {
    const given = raw[key]
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v)
    if (given === undefined) out[key] = isObject(d) ? { ...(d as object) } : d
    else if (isObject(d) && isObject(given)) out[key] = { ...(d as object), ...(given as object) }
  }
  return out
}

export const TrainConfigSchema = z.preprocess(withTaskDefaults, TrainConfigObject)

export type TrainConfigInput = z.input<typeof TrainConfigObject>
export type TrainConfig = z.output<typeof TrainConfigObject>
export type ModelConfig = z.output<typeof ModelConfigSchema>
export type WarmupConfig = z.output<typeof WarmupConfigSchema>

/** The seed of the base policy: `warmup.seed`, or the run's seed when that is not set. */
export function baseSeedOf(config: TrainConfig): number {
  return config.warmup.seed ?? config.seed
}

/** Parses a config and turns zod's issues into one readable message naming each field. */
export function parseTrainConfig(input: unknown): TrainConfig {
  const r = TrainConfigSchema.safeParse(input ?? {})
  if (r.success) return r.data
  const lines = r.error.issues.map((i) => {
    const path = i.path.join('.')
    return path ? `${path}: ${i.message}` : i.message
  })
  throw new ConfigError(`invalid training config: ${lines.join('; ')}`, r.error.issues[0]?.path.join('.'))
}

export class ConfigError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
