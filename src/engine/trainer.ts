import path from 'node:path'
import { compileMatcher } from '../core/matcher'
import { RelativePerplexityTracker, StepMetricsAccumulator } from '../core/metrics'
import { Adam } from './adam'
import { selectBackend } from './backend'
import { pack, selectFloats, selectRows } from './batch'
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint, stepDir } from './checkpoint'
import { baseSeedOf, ConfigError, parseTrainConfig, type TrainConfig } from './config'
import { TrainControl } from './control'
import { evaluate } from './evaluate'
import { Policy } from './model'
import { ppoLoss, scoreBatch } from './objective'
import type { RolloutRecord, TrainErrorCode, TrainSink } from './protocol'
import { Rng, streamRng, type RngState } from './rng'
import { scoreResponses, tokenTargets, toRecord } from './rollouts'
import { sample } from './sampling'
import { createTask } from './tasks'
import { tf } from './tf'
import { warmup } from './warmup'

// The RL loop (SPEC §3, §4): per step, sample B prompts × G responses with the KV cache, verify
// them, score the batch once (per-token log-probs and entropies = π_old and the token metrics),
// compute advantages for the chosen algorithm, run PPO epochs over minibatches, and report every
// metric with the step's rollouts. Transport-free: events go to a TrainSink.

export interface RunOptions {
  runId: string
  /** Folder for checkpoints and the cached base policy; null keeps nothing on disk. */
  workspace: string | null
  control?: TrainControl
  /** Continue from the run's latest checkpoint, if it has one. */
  resume?: boolean
}

export interface RunResult {
  status: 'completed' | 'stopped' | 'failed'
  lastStep: number
  checkpoint: string | null
  backend: string
}

/** NaN/Inf in the loss or gradient: the run stops, keeping every step already reported. */
export class TrainingDivergedError extends Error {
  constructor(message: string, readonly step: number) {
    super(message)
    this.name = 'TrainingDivergedError'
  }
}

interface ResumeState {
  trainRng: RngState
  baseline: { step: number; planning?: number; execution?: number } | null
  runId: string
  config: TrainConfig
}

const KEEP_CHECKPOINTS = 2

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export async function runTraining(rawConfig: unknown, sink: TrainSink, opts: RunOptions): Promise<RunResult> {
  const control = opts.control ?? new TrainControl()
  let lastStep = 0
  let backendName = 'unknown'
  let errorCode: TrainErrorCode = 'internal'
  const disposers: (() => void)[] = []
  try {
    errorCode = 'config'
    const config = parseTrainConfig(rawConfig)
    errorCode = 'backend'
    const backend = await selectBackend(config.backend)
    backendName = backend.name
    errorCode = 'internal'

    const task = createTask(config.task)
    const matcher = compileMatcher(task.sgSet.grams.map((g) => g.phrase))
    // The base policy's weights come from the base seed, so RL seeds can share one base.
    const policy = new Policy({ ...config.model, vocab: task.tokenizer.size }, baseSeedOf(config))
    disposers.push(() => policy.dispose())
    if (task.promptLength + 2 > config.model.context) {
      throw new ConfigError(`model.context ${config.model.context} is too short for ${task.name} prompts of ${task.promptLength} tokens`, 'model.context')
    }
    const adam = new Adam(policy.variables, { lr: config.lr, beta1: config.adamBeta1, beta2: config.adamBeta2 })
    disposers.push(() => adam.dispose())
    const ckptRoot = opts.workspace ? path.join(opts.workspace, 'checkpoints', opts.runId) : null

    let startStep = 1
    let rng = streamRng(config.seed, 'train')
    const tracker = new RelativePerplexityTracker()
    let baseline: ResumeState['baseline'] = null
    const resumeDir = opts.resume && ckptRoot ? latestCheckpoint(ckptRoot) : null
    if (resumeDir) {
      const m = loadCheckpoint<ResumeState>(resumeDir, policy, adam)
      startStep = m.step + 1
      lastStep = m.step
      rng = new Rng(m.state.trainRng)
      baseline = m.state.baseline
      if (baseline) {
        const b: Record<string, number> = {}
        if (baseline.planning !== undefined) b.perplexity_planning = baseline.planning
        if (baseline.execution !== undefined) b.perplexity_execution = baseline.execution
        tracker.add(baseline.step, b)
      }
    }

    await sink.onStart?.({
      runId: opts.runId,
      backend: backend.name,
      backendDetail: { adapter: backend.adapter, skipped: backend.skipped, note: backend.note },
      task: task.name,
      algo: config.algo,
      config,
      parameters: policy.parameterCount,
      vocab: task.tokenizer.size,
      startStep,
      resumedFrom: resumeDir,
      sgSet: task.sgSet
    })

    if (!resumeDir) {
      await warmup(policy, task, config, {
        workspace: opts.workspace,
        backend: backend.name,
        onProgress: (p) => sink.onWarmup?.(p),
        shouldStop: () => control.stopped,
        yieldEvery: yieldToEventLoop
      })
    }

    const testSet = config.eval.every > 0 ? task.testSet(config.eval.problems) : []
    const G = config.groupSize
    const passK = [...new Set([1, config.eval.passK].filter((k) => k <= G))]
    let lastCheckpoint: string | null = null
    const checkpoint = async (step: number) => {
      if (!ckptRoot) return
      const state: ResumeState = { trainRng: rng.state(), baseline, runId: opts.runId, config }
      lastCheckpoint = await saveCheckpoint(stepDir(ckptRoot, step), step, policy, adam, state)
      pruneCheckpoints(ckptRoot, KEEP_CHECKPOINTS)
      await sink.onCheckpoint?.({ runId: opts.runId, step, path: lastCheckpoint })
    }

    for (let step = startStep; step <= config.steps; step++) {
      // Let queued messages (a worker's stop or pause) run: awaiting only resolved promises never
      // yields to the event loop, and a step is one long synchronous computation.
      await yieldToEventLoop()
      await control.waitWhilePaused()
      if (control.stopped) break
      const t0 = performance.now()

      // 1. Sample B prompts × G responses, all in one batched, cached decode.
      const problems = Array.from({ length: config.batchPrompts }, () => task.sampleTrain(rng))
      const prompts = problems.flatMap((p) => new Array<number[]>(G).fill(p.promptIds))
      const sampled = await sample(policy, prompts, {
        maxNew: task.maxResponseLength + 8,
        temperature: config.temperature,
        topP: config.topP,
        eosId: task.tokenizer.eosId,
        padId: task.tokenizer.padId,
        rng
      })
      const tSample = performance.now()

      // 2. Verify, align planning tokens, score once under the current policy.
      const scored = scoreResponses(task, matcher, problems, G, sampled.responses)
      const batch = pack(prompts, sampled.responses, task.tokenizer.padId)
      const { logprobs, entropies } = await scoreBatch(policy, batch, config.minibatchSize)
      const targets = tokenTargets(scored, batch.r, entropies, {
        algo: config.algo,
        groupSize: G,
        normalizeStd: config.normalizeStd,
        alpha: config.alpha,
        highEntropyFraction: config.highEntropyFraction
      })

      // 3. Metrics of the rollouts as sampled (SPEC §4).
      const acc = new StepMetricsAccumulator(matcher, { passK })
      const records: RolloutRecord[] = scored.map((s, i) => {
        const len = s.ids.length
        const rec = toRecord(s, targets.responseAdvantages[i], logprobs.slice(i * batch.r, i * batch.r + len), entropies.slice(i * batch.r, i * batch.r + len))
        acc.add({ text: s.text, score: s.reward, correct: s.correct, promptId: `${step}:${s.group}`, tokenStarts: s.starts,
          tokenEnds: s.ends, logprobs: rec.logprobs, entropies: rec.entropies })
        return rec
      })
      const metrics: Record<string, number> = acc.result()
      Object.assign(metrics, tracker.add(step, metrics))
      if (!baseline && (metrics.perplexity_planning !== undefined || metrics.perplexity_execution !== undefined)) {
        baseline = { step, planning: metrics.perplexity_planning, execution: metrics.perplexity_execution }
      }

      // 4. PPO epochs over shuffled minibatches, one Adam step each.
      const tUpdate = performance.now()
      let lossSum = 0
      let clippedSum = 0
      let weightSum = 0
      let normSum = 0
      let updates = 0
      for (let epoch = 0; epoch < config.ppoEpochs; epoch++) {
        const order = rng.shuffle(Array.from({ length: batch.n }, (_, i) => i))
        for (let s = 0; s < order.length; s += config.minibatchSize) {
          const rows = order.slice(s, s + config.minibatchSize)
          const mb = selectRows(batch, rows)
          const weights = selectFloats(targets.weights, batch.r, rows)
          const w = weights.reduce((a, b) => a + b, 0)
          if (w === 0) continue
          let clipped: tf.Tensor | null = null
          const { value, grads } = tf.variableGrads(() => {
            const out = ppoLoss(policy, {
              batch: mb,
              oldLogprobs: selectFloats(logprobs, batch.r, rows),
              advantages: selectFloats(targets.advantages, batch.r, rows),
              weights,
              clipLow: config.clipLow,
              clipHigh: config.clipHigh,
              betaEnt: config.algo === 'entropy' ? config.betaEnt : 0
            })
            clipped = tf.keep(out.clipped)
            return out.loss
          }, policy.variables)
          const [lossData, clippedData] = await Promise.all([value.data(), (clipped as tf.Tensor | null)?.data()])
          const loss = lossData[0]
          const clippedCount = clippedData?.[0] ?? 0
          const gradList = policy.variables.map((v) => grads[v.name])
          if (!Number.isFinite(loss)) {
            tf.dispose([value, ...gradList, ...(clipped ? [clipped] : [])])
            throw new TrainingDivergedError(`loss became ${loss} at step ${step} (epoch ${epoch + 1}); the run stopped before applying it`, step)
          }
          const norm = await adam.apply(gradList, config.gradClip)
          tf.dispose([value, ...gradList, ...(clipped ? [clipped] : [])])
          if (!Number.isFinite(norm)) throw new TrainingDivergedError(`gradient norm became ${norm} at step ${step}`, step)
          lossSum += loss * w
          weightSum += w
          clippedSum += clippedCount
          normSum += norm
          updates++
        }
      }
      const tEnd = performance.now()

      const tokens = batch.mask.reduce((a, b) => a + b, 0)
      const errors = { planning: 0, calculation: 0, format: 0 }
      for (const s of scored) if (s.errorType) errors[s.errorType]++
      Object.assign(metrics, {
        loss: weightSum > 0 ? lossSum / weightSum : 0,
        clip_fraction: weightSum > 0 ? clippedSum / weightSum : 0,
        grad_norm: updates > 0 ? normSum / updates : 0,
        updates,
        reward_mean: scored.reduce((a, s) => a + s.reward, 0) / scored.length,
        error_planning: errors.planning / scored.length,
        error_calculation: errors.calculation / scored.length,
        error_format: errors.format / scored.length,
        response_tokens: tokens,
        sample_time_s: (tSample - t0) / 1000,
        update_time_s: (tEnd - tUpdate) / 1000,
        sample_tokens_per_s: sampled.generated / Math.max(1e-9, (tSample - t0) / 1000),
        step_time_s: (tEnd - t0) / 1000,
        tokens_per_s: tokens / Math.max(1e-9, (tEnd - t0) / 1000)
      })

      // 5. Periodic test evaluation (Pass@1 at T = 0.6 over n samples, pass@k).
      if (config.eval.every > 0 && (step % config.eval.every === 0 || step === config.steps)) {
        const tEval = performance.now()
        Object.assign(metrics, await evaluate(policy, task, testSet, {
          samples: config.eval.samples,
          temperature: config.eval.temperature,
          topP: config.eval.topP,
          passK: config.eval.passK,
          rng: streamRng(config.seed ^ step, 'eval')
        }))
        metrics.eval_time_s = (performance.now() - tEval) / 1000
      }

      const kept = config.rolloutsPerStep > 0 ? records.slice(0, config.rolloutsPerStep) : records
      await sink.onStep({ runId: opts.runId, step, metrics, rollouts: kept })
      lastStep = step
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step < config.steps) await checkpoint(step)
    }
    const status = control.stopped && lastStep < config.steps ? 'stopped' : 'completed'
    // The final state is always saved (unless this call did no step), so the run can be resumed or extended.
    if (lastStep >= startStep) await checkpoint(lastStep)
    await sink.onEnd?.({ runId: opts.runId, status, lastStep, checkpoint: lastCheckpoint })
    return { status, lastStep, checkpoint: lastCheckpoint, backend: backendName }
  } catch (e) {
    const code: TrainErrorCode = e instanceof TrainingDivergedError ? 'diverged' : e instanceof ConfigError ? 'config' : errorCode
    const message = e instanceof Error ? e.message : String(e)
    await sink.onError?.({ runId: opts.runId, code, message, lastStep })
    if (!sink.onError) throw e
    return { status: 'failed', lastStep, checkpoint: null, backend: backendName }
  } finally {
    for (const d of disposers.reverse()) d()
  }
}
