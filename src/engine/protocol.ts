import type { TrainConfig } from './config'

// What the trainer reports, as plain data: the same objects go to an in-process sink, through
// worker_threads messages and through Electron's utilityProcess port. No tfjs here, so the back
// end and the renderer can import these types freely.

export type TrueErrorType = 'planning' | 'calculation' | 'format'

export interface RolloutRecord {
  promptId: string
  prompt: string
  response: string
  reward: number
  correct: boolean
  /** SPEC §5 error type known from the task (source `truth`); null when correct. */
  errorType: TrueErrorType | null
  answer: string | null
  gold: string
  /** Index of the response's group (prompt) within the step. */
  group: number
  /** GRPO advantage of the response (before any HICRA boost). */
  advantage: number
  tokenIds: Int32Array
  tokenStarts: Int32Array
  tokenEnds: Int32Array
  logprobs: Float32Array
  entropies: Float32Array
  planningMask: Uint8Array
}

/** A WebGPU adapter as Dawn describes it. */
export interface AdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  /** A CPU implementation of a GPU (SwiftShader, llvmpipe): it runs, but is no accelerator. */
  software: boolean
}

/** How the backend was chosen: the WebGPU adapter (webgpu only), why better ones were skipped, a note. */
export interface BackendDetail {
  adapter: AdapterInfo | null
  skipped: { name: string; reason: string }[]
  note: string | null
}

export interface TrainStartInfo {
  runId: string
  backend: string
  backendDetail: BackendDetail
  task: string
  algo: string
  config: TrainConfig
  parameters: number
  vocab: number
  /** Step the run starts at (1, or the step after the checkpoint it resumed from). */
  startStep: number
  resumedFrom: string | null
  sgSet: { name: string; grams: { phrase: string; category: string }[] }
}

export interface WarmupProgress {
  /** Warm-up steps done (0 in the first report, before any step). */
  step: number
  steps: number
  loss: number
  /** True when the base policy came from the workspace's cache instead of being trained. */
  cached: boolean
  /** Seconds since the warm-up started. */
  elapsedS: number
  /** Warm-up steps per second so far; null before the first step. */
  rate: number | null
  /** Seconds left at that rate; null before the first step. */
  etaS: number | null
}

export interface TrainStepEvent {
  runId: string
  step: number
  /** SPEC §4 metrics plus loss, clip_fraction, grad_norm, step_time_s, tokens_per_s, … */
  metrics: Record<string, number>
  rollouts: RolloutRecord[]
}

export interface CheckpointEvent {
  runId: string
  step: number
  path: string
}

export type EndStatus = 'completed' | 'stopped'

export interface TrainEndEvent {
  runId: string
  status: EndStatus
  lastStep: number
  checkpoint: string | null
}

export type TrainErrorCode = 'diverged' | 'config' | 'backend' | 'internal'

export interface TrainErrorEvent {
  runId: string
  code: TrainErrorCode
  message: string
  /** Last step whose metrics were reported (0 when none). */
  lastStep: number
}

/** Receives a run's events; any method may return a promise, which the trainer awaits. */
export interface TrainSink {
  onStart?(info: TrainStartInfo): void | Promise<void>
  onWarmup?(p: WarmupProgress): void | Promise<void>
  onStep(e: TrainStepEvent): void | Promise<void>
  onCheckpoint?(e: CheckpointEvent): void | Promise<void>
  onEnd?(e: TrainEndEvent): void | Promise<void>
  onError?(e: TrainErrorEvent): void | Promise<void>
}

/** Messages into a training worker. */
export type WorkerCommand =
  | { type: 'start'; config: unknown; runId: string; workspace: string | null; resume?: boolean }
  | { type: 'stop' }
  | { type: 'pause' }
  | { type: 'resume' }

/** Messages out of a training worker. */
export type WorkerEvent =
  | { type: 'start'; info: TrainStartInfo }
  | { type: 'warmup'; progress: WarmupProgress }
  | { type: 'step'; event: TrainStepEvent }
  | { type: 'checkpoint'; event: CheckpointEvent }
  | { type: 'paused'; paused: boolean }
  | { type: 'end'; event: TrainEndEvent }
  | { type: 'error'; event: TrainErrorEvent }
